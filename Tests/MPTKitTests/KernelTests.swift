import Testing
@testable import MPTReference

/// Deterministic pseudo-random floats in [-1, 1) (shared by the kernel test files).
func noise(_ count: Int, seed: UInt64) -> [Float] {
    var state = seed &* 6364136223846793005 &+ 1442695040888963407
    return (0..<count).map { _ in
        state = state &* 6364136223846793005 &+ 1442695040888963407
        return Float(Int64(bitPattern: state >> 11) % 1_000_000) / 1_000_000
    }
}

@Suite("Kernels")
struct KernelTests {
    /// SIMD/threaded product vs the scalar twin on edge-heavy shapes: rows not a multiple of the
    /// 16-row panel, columns not a multiple of the 6-wide tile, depth not a multiple of 8 and
    /// longer than one reduction block. Tolerance: 1e-5 × Σ|aᵢ·bᵢ| (float summation order).
    @Test(arguments: [(1, 1, 1), (5, 7, 9), (17, 13, 600), (33, 50, 1030), (16, 6, 512), (3, 200, 64), (40, 301, 700)])
    func matrixMultiplyMatchesScalar(shape: (Int, Int, Int)) throws {
        let (rows, columns, depth) = shape
        let a = noise(rows * depth, seed: 1), b = noise(columns * depth, seed: 2), bias = noise(columns, seed: 3)
        let fast = try MatrixMultiply.linear(a, rows: rows, weight: b, outputSize: columns, bias: bias, threads: 2)
        let slow = try MatrixMultiply.linear(a, rows: rows, weight: b, outputSize: columns, bias: bias, kernel: .scalar)
        for s in 0..<rows {
            for o in 0..<columns {
                var magnitude: Float = abs(bias[o])
                for i in 0..<depth { magnitude += abs(a[s * depth + i] * b[o * depth + i]) }
                #expect(abs(fast[s * columns + o] - slow[s * columns + o]) <= 1e-5 * magnitude + 1e-30)
            }
        }
    }

    /// The threaded path (big enough to split) agrees with itself single-threaded exactly: each
    /// output is summed in the same order whichever worker computes it.
    @Test func threadedProductIsDeterministic() throws {
        let rows = 40, columns = 300, depth = 700
        let a = noise(rows * depth, seed: 4), b = noise(columns * depth, seed: 5)
        let one = try MatrixMultiply.linear(a, rows: rows, weight: b, outputSize: columns, threads: 1)
        let two = try MatrixMultiply.linear(a, rows: rows, weight: b, outputSize: columns, threads: 2)
        #expect(one == two)
    }

    @Test func linearRejectsMismatchedSizes() {
        #expect(throws: ReferenceError.self) {
            _ = try MatrixMultiply.linear([1, 2, 3], rows: 2, weight: [1, 2], outputSize: 1)
        }
    }

    /// The Double product vs a plain Double sum (tolerance 1e-12 relative).
    @Test func doubleProductMatchesPlainSum() {
        let rows = 7, columns = 9, depth = 37
        let a = noise(rows * depth, seed: 6).map(Double.init), b = noise(columns * depth, seed: 7).map(Double.init)
        var c = [Double](repeating: 0, count: rows * columns)
        a.withUnsafeBufferPointer { pa in
            b.withUnsafeBufferPointer { pb in
                c.withUnsafeMutableBufferPointer { pc in
                    DoubleMatrixMultiply.multiplyTransposed(
                        rows: rows, columns: columns, depth: depth, a: pa.baseAddress!, lda: depth, b: pb.baseAddress!,
                        ldb: depth, bias: nil, c: pc.baseAddress!, ldc: columns, threads: 2)
                }
            }
        }
        for s in 0..<rows {
            for o in 0..<columns {
                var sum = 0.0, magnitude = 0.0
                for i in 0..<depth { sum += a[s * depth + i] * b[o * depth + i]; magnitude += abs(a[s * depth + i] * b[o * depth + i]) }
                #expect(abs(c[s * columns + o] - sum) <= 1e-12 * magnitude)
            }
        }
    }

    /// SIMD LayerNorm vs the Double-summing scalar twin, with and without bias; widths around
    /// the 8-lane boundary. Tolerance 2e-6 relative to max(|y|, 1) (Float rounding of mean/var).
    @Test(arguments: [1, 7, 8, 9, 64, 100])
    func layerNormMatchesScalar(width: Int) {
        let x = noise(width, seed: 8).map { $0 * 3 + 0.5 }, weight = noise(width, seed: 9).map { 1 + $0 / 10 }
        let bias = noise(width, seed: 10)
        for useBias in [false, true] {
            var fast = [Float](repeating: 0, count: width), slow = fast
            x.withUnsafeBufferPointer { px in
                weight.withUnsafeBufferPointer { pw in
                    bias.withUnsafeBufferPointer { pb in
                        fast.withUnsafeMutableBufferPointer { pf in
                            LayerNorm.normalizeRow(
                                width: width, input: px.baseAddress!, output: pf.baseAddress!, weight: pw.baseAddress!,
                                bias: useBias ? pb.baseAddress : nil, epsilon: 1e-5)
                        }
                        slow.withUnsafeMutableBufferPointer { ps in
                            LayerNorm.normalizeRowScalar(
                                width: width, input: px.baseAddress!, output: ps.baseAddress!, weight: pw.baseAddress!,
                                bias: useBias ? pb.baseAddress : nil, epsilon: 1e-5)
                        }
                    }
                }
            }
            for i in 0..<width { #expect(abs(fast[i] - slow[i]) <= 2e-6 * max(abs(slow[i]), 1)) }
        }
    }

    /// LayerNorm against the definition with PyTorch's biased variance: a row [1, 2, 3, 4] has
    /// mean 2.5, variance 1.25.
    @Test func layerNormUsesBiasedVariance() {
        var out = [Float](repeating: 0, count: 4)
        let x: [Float] = [1, 2, 3, 4], w: [Float] = [1, 1, 1, 1]
        x.withUnsafeBufferPointer { px in
            w.withUnsafeBufferPointer { pw in
                out.withUnsafeMutableBufferPointer { po in
                    LayerNorm.normalizeRow(width: 4, input: px.baseAddress!, output: po.baseAddress!, weight: pw.baseAddress!, bias: nil, epsilon: 0)
                }
            }
        }
        let expected = x.map { ($0 - 2.5) / Float(1.25).squareRoot() }
        for i in 0..<4 { #expect(abs(out[i] - expected[i]) <= 1e-6) }
    }

    /// Slopes from the MPT formula (README of the fixtures / modeling_mpt.py): 8 heads, max 8 →
    /// 2^-1 … 2^-8; 6 heads, max 6 → n2 = 8, m = k·0.75, order [odd…, even…][:6].
    @Test func alibiSlopesFollowMPT() {
        #expect(ALiBi.slopes(heads: 8, biasMax: 8) == (1...8).map { 1 / Double(1 << $0) })
        #expect(ALiBi.slopes(heads: 4, biasMax: 8) == [0.25, 0.0625, 0.015625, 0.00390625])
        let six = ALiBi.slopes(heads: 6, biasMax: 6)
        let exponents = [1.5, 3.0, 4.5, 6.0, 0.75, 2.25]
        for (slope, m) in zip(six, exponents) { #expect(abs(slope - (-m * 0.6931471805599453).exponential) <= 1e-15) }
        #expect(ALiBi.bias(slope: 0.5, key: 3, length: 10, as: Float.self) == -3)
        #expect(ALiBi.bias(slope: 0.5, key: 9, length: 10, as: Float.self) == 0)
    }

    /// Exact GELU at ±1 is ±Φ(±1)·x: Φ(1) = 0.8413447460685429.
    @Test func geluIsExact() {
        #expect(abs(Activation.gelu(1.0) - 0.8413447460685429) <= 1e-15)
        #expect(abs(Activation.gelu(-1.0) + 0.15865525393145707) <= 1e-15)
        #expect(abs(Activation.gelu(Float(1)) - 0.8413447) <= 1e-7)
        #expect(Activation.gelu(0.0) == 0)
    }

    @Test func clampMatchesTorch() {
        #expect(Activation.clamp(Float(2), limit: 0.75) == 0.75)
        #expect(Activation.clamp(Float(-2), limit: 0.75) == -0.75)
        #expect(Activation.clamp(Float(0.5), limit: 0.75) == 0.5)
        #expect(Activation.clamp(Float.nan, limit: 0.75).isNaN)
    }

    /// Causal softmax: row sums to 1, future entries 0, invariant to adding a constant.
    @Test func causalSoftmax() {
        var row: [Double] = [1, 2, 3, 100]
        var shifted: [Double] = [11, 12, 13, -5]
        row.withUnsafeMutableBufferPointer { Softmax.causalRow($0.baseAddress!, last: 2, length: 4, exp: Double.exponential) }
        shifted.withUnsafeMutableBufferPointer { Softmax.causalRow($0.baseAddress!, last: 2, length: 4, exp: Double.exponential) }
        #expect(abs(row[0] + row[1] + row[2] - 1) <= 1e-15)
        #expect(row[3] == 0)
        for i in 0..<3 { #expect(abs(row[i] - shifted[i]) <= 1e-15) }
        let e = 2.718281828459045
        #expect(abs(row[2] - e * e / (1 + e + e * e)) <= 1e-15)
    }
}

extension Double {
    fileprivate var exponential: Double { Double.exponential(self) }
}
