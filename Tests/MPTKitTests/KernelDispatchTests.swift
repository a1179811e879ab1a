import Foundation
import MPTCore
import MPTFormats
import Testing
@testable import MPTQuant
@testable import MPTReference

/// `|fast − slow| ≤ 1e-5 · magnitude` for every element (float summation order differs
/// between the levels' vector widths and with FMA; 1e-5 of Σ|terms| bounds that).
private func agrees(_ fast: [Float], _ slow: [Float], magnitudes: [Float]) -> Bool {
    zip(zip(fast, slow), magnitudes).allSatisfy { pair, magnitude in abs(pair.0 - pair.1) <= 1e-5 * magnitude + 1e-30 }
}

@Suite("Kernel dispatch")
struct KernelDispatchTests {
    static let haswell: CPUFeatures = [.sse42, .popcnt, .avx, .avx2, .fma, .f16c, .bmi1, .bmi2, .lzcnt, .movbe, .osYMM]
    static let avx512CPUID: CPUFeatures = [.avx512f, .avx512cd, .avx512bw, .avx512dq, .avx512vl]

    /// The choice follows cpuid *and* the OS state: AVX-512 in cpuid without the ZMM state
    /// (XCR0) stays at AVX2, AVX2 without the YMM state stays portable, a CPU without F16C is
    /// not Haswell-class.
    @Test func levelNeedsCPUIDAndOSState() {
        #expect(KernelLevel.best(for: Self.haswell.union(Self.avx512CPUID)) == .avx2)
        #expect(KernelLevel.best(for: Self.haswell.union(Self.avx512CPUID).union(.osZMM)) == .avx512)
        #expect(KernelLevel.best(for: Self.haswell.subtracting(.osYMM)) == .portable)
        #expect(KernelLevel.best(for: Self.haswell.subtracting(.f16c)) == .portable)
        #expect(KernelLevel.best(for: []) == .portable)
        #expect(KernelLevel.supported(by: []) == [.portable])
    }

    /// `MPTKIT_KERNELS` forces a level the machine runs and refuses one it lacks (naming the
    /// missing features) or an unknown name; unset or empty picks the best.
    @Test func environmentForcesOrRefuses() throws {
        let features = Self.haswell
        #expect(try KernelLevel.selected(environment: [:], features: features) == .avx2)
        #expect(try KernelLevel.selected(environment: ["MPTKIT_KERNELS": ""], features: features) == .avx2)
        #expect(try KernelLevel.selected(environment: ["MPTKIT_KERNELS": "portable"], features: features) == .portable)
        #expect(try KernelLevel.selected(environment: ["MPTKIT_KERNELS": "AVX2"], features: features) == .avx2)
        #expect(throws: KernelLevelError.unsupported(.avx512, missing: Self.avx512CPUID.union(.osZMM))) {
            try KernelLevel.selected(environment: ["MPTKIT_KERNELS": "avx512"], features: features)
        }
        #expect(throws: KernelLevelError.unknown("sse9")) {
            try KernelLevel.selected(environment: ["MPTKIT_KERNELS": "sse9"], features: features)
        }
        let message = KernelLevelError.unsupported(.avx512, missing: [.osZMM]).description
        #expect(message == "MPTKIT_KERNELS=avx512 needs OS ZMM state, which this CPU or OS does not provide")
    }

    /// This machine: portable always runs, the active level is one it supports, and cpuid is
    /// consistent with /proc/cpuinfo where that exists (avx2 and fma flags).
    @Test func thisMachine() throws {
        let levels = KernelLevel.supported()
        #expect(levels.first == .portable)
        #expect(levels.contains(KernelLevel.active))
        if let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8), let flags = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") }) {
            let names = Set(flags.split(separator: " ").map(String.init))
            #expect(CPUFeatures.current.contains(.avx2) == names.contains("avx2"))
            #expect(CPUFeatures.current.contains(.fma) == names.contains("fma"))
            #expect(CPUFeatures.current.contains(.avx512f) == names.contains("avx512f"))
        }
    }

    /// Every level this machine runs, product vs the scalar twin, on shapes around the panel
    /// (16 or 32 rows), tile (6), column group (96), row group (128) and reduction block (512)
    /// edges, and the few-rows path.
    @Test(arguments: [(1, 7, 9), (3, 13, 70), (17, 13, 600), (33, 50, 1030), (40, 31, 64), (150, 101, 40)])
    func productEveryLevel(shape: (Int, Int, Int)) throws {
        let (rows, columns, depth) = shape
        let a = noise(rows * depth, seed: 11), b = noise(columns * depth, seed: 12), bias = noise(columns, seed: 13)
        var slow = [Float](repeating: 0, count: rows * columns)
        var magnitudes = slow
        for s in 0..<rows {
            for o in 0..<columns {
                magnitudes[s * columns + o] = abs(bias[o]) + (0..<depth).reduce(0) { $0 + abs(a[s * depth + $1] * b[o * depth + $1]) }
            }
        }
        MatrixMultiply.multiplyTransposedScalar(
            rows: rows, columns: columns, depth: depth, a: a, lda: depth, b: b, ldb: depth, bias: bias, c: &slow, ldc: columns)
        for level in KernelLevel.supported() {
            var fast = [Float](repeating: .nan, count: rows * columns)
            MatrixMultiply.multiplyTransposed(
                rows: rows, columns: columns, depth: depth, a: a, lda: depth, b: b, ldb: depth, bias: bias, c: &fast,
                ldc: columns, threads: 2, level: level)
            #expect(agrees(fast, slow, magnitudes: magnitudes), "level \(level)")
        }
        // The rule bites: one output off by 1e-3 of its magnitude fails it.
        var broken = slow
        broken[broken.count / 2] += 1e-3 * magnitudes[broken.count / 2]
        #expect(!agrees(broken, slow, magnitudes: magnitudes))
    }

    /// Attention's dot products and update at every level vs plain loops.
    @Test func attentionKernelsEveryLevel() {
        let depth = 37, keys = 11, stride = 41
        let query = noise(depth, seed: 21), keyRows = noise(keys * stride, seed: 22), value = noise(depth, seed: 23)
        var expected = [Float](repeating: 0, count: keys), magnitudes = expected
        for j in 0..<keys {
            for i in 0..<depth {
                expected[j] += query[i] * keyRows[j * stride + i] * 0.5
                magnitudes[j] += abs(query[i] * keyRows[j * stride + i] * 0.5)
            }
        }
        let start = noise(depth, seed: 24)
        let updated = (0..<depth).map { start[$0] * 0.25 + 3 * value[$0] }
        for level in KernelLevel.supported() {
            var scores = [Float](repeating: .nan, count: keys)
            level.kernels.scaledDots(query: query, keys: keyRows, keyStride: stride, keyCount: keys, depth: depth, scale: 0.5, into: &scores)
            #expect(agrees(scores, expected, magnitudes: magnitudes), "level \(level)")
            var y = start
            level.kernels.rescaleAdd(&y, keep: 0.25, weight: 3, value, count: depth)
            #expect(agrees(y, updated, magnitudes: updated.map { abs($0) + 3 }), "level \(level)")
        }
    }

    /// The vectorized exact GELU at every level vs `Activation.gelu` (libm `erff`) over
    /// [-12, 12] plus tails of every length: |Δ| ≤ 2e-7 · max(1, |x|) (the erf approximation's
    /// 1.5e-7 times |x|/2, plus rounding); NaN and ±infinity as the scalar. The tanh
    /// approximation (≈ 1e-4 away) fails the bound.
    @Test func geluEveryLevel() {
        let xs: [Float] = (0..<4001).map { -12 + 24 * Float($0) / 4000 } + [0, -0, 1e-30, -1e-30, 5e-4, 88, -88, 1e4]
        func bound(_ x: Float) -> Float { 2e-7 * max(1, abs(x)) }
        for level in KernelLevel.supported() {
            for count in [xs.count, 7, 1] {
                var values = Array(xs.prefix(count))
                level.kernels.gelu(&values, count: count)
                for (x, y) in zip(xs, values) {
                    #expect(abs(y - Activation.gelu(x)) <= bound(x), "level \(level) at \(x): \(y) vs \(Activation.gelu(x))")
                }
            }
            var special: [Float] = [.nan, .infinity, -.infinity]
            level.kernels.gelu(&special, count: 3)
            #expect(special[0].isNaN && special[1] == .infinity && special[2].isNaN == Activation.gelu(-Float.infinity).isNaN)
        }
        #expect(abs(Activation.geluTanh(Float(1.5)) - Activation.gelu(Float(1.5))) > bound(1.5))
    }

    /// Row decoders at every level equal the scalar decoders bit for bit: bf16 and f16 over
    /// every bit pattern class (normals, subnormals, ±0, ±inf, NaN), int8, Q8_0, Q4_0.
    @Test func decodersEveryLevelBitExact() {
        let halves: [UInt16] = (0..<1000).map { UInt16(truncatingIfNeeded: $0 &* 2654435761 >> 7) } + [0, 0x8000, 0x7C00, 0xFC00, 0x7E00, 0x0001, 0x03FF, 0x7F80, 0xFF81]
        let codes: [Int8] = (0..<301).map { Int8(truncatingIfNeeded: $0 &* 37) } + [-128, 127]
        let q8Blocks = Self.blocks(count: 5, size: 34), q4Blocks = Self.blocks(count: 5, size: 18)
        let bf16Scalar = halves.map(HalfConversion.floatFromBF16Scalar).map(\.bitPattern)
        let f16Scalar = halves.map(HalfConversion.floatFromF16Scalar).map(\.bitPattern)
        let int8Scalar = codes.map { Float($0) * 0.37 * Int8Rows.reciprocal127 }.map(\.bitPattern)
        let q8Scalar = Self.scalarBlocks(q8Blocks, size: 34, GGMLQ8_0.dequantizeBlockScalar).map(\.bitPattern)
        let q4Scalar = Self.scalarBlocks(q4Blocks, size: 18, GGMLQ4_0.dequantizeBlockScalar).map(\.bitPattern)
        for level in KernelLevel.supported() {
            let kernels = level.kernels
            var out = [Float](repeating: 0, count: halves.count)
            kernels.bf16ToFloat(halves, &out, count: halves.count)
            #expect(out.map(\.bitPattern) == bf16Scalar, "bf16 \(level)")
            kernels.f16ToFloat(halves, &out, count: halves.count)
            #expect(zip(out, f16Scalar).allSatisfy { $0.bitPattern == $1 || ($0.isNaN && Float(bitPattern: $1).isNaN) }, "f16 \(level)")
            var ints = [Float](repeating: 0, count: codes.count)
            kernels.int8ToFloat(codes, scale: 0.37, reciprocal: Int8Rows.reciprocal127, &ints, count: codes.count)
            #expect(ints.map(\.bitPattern) == int8Scalar, "int8 \(level)")
            var blocks = [Float](repeating: 0, count: 5 * 32)
            q8Blocks.withUnsafeBytes { kernels.q8_0ToFloat($0.baseAddress!, blocks: 5, &blocks) }
            #expect(blocks.map(\.bitPattern) == q8Scalar, "q8_0 \(level)")
            q4Blocks.withUnsafeBytes { kernels.q4_0ToFloat($0.baseAddress!, blocks: 5, &blocks) }
            #expect(blocks.map(\.bitPattern) == q4Scalar, "q4_0 \(level)")
        }
    }

    /// `count` ggml blocks of `size` bytes: a finite f16 scale, then pseudo-random bytes.
    static func blocks(count: Int, size: Int) -> [UInt8] {
        var bytes: [UInt8] = []
        for block in 0..<count {
            let scale = HalfConversion.f16FromFloatScalar(Float(block + 1) * 0.013)
            bytes += [UInt8(scale & 0xFF), UInt8(scale >> 8)]
            bytes += (0..<(size - 2)).map { UInt8(truncatingIfNeeded: ($0 + 7 * block) &* 151) }
        }
        return bytes
    }

    static func scalarBlocks(_ bytes: [UInt8], size: Int, _ decode: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) -> [Float] {
        let count = bytes.count / size
        var values = [Float](repeating: 0, count: count * 32)
        bytes.withUnsafeBytes { raw in
            values.withUnsafeMutableBufferPointer { out in
                for block in 0..<count { decode(raw.baseAddress! + block * size, out.baseAddress! + block * 32) }
            }
        }
        return values
    }
}
