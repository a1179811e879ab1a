import MPTCore
import MPTFormats
import Testing
@testable import MPTQuant
@testable import MPTReference

/// The fused 16-bit dot products of a decoding step (`VectorKernels.bf16Dot` / `f16Dot` after
/// `pairActivations`, and the few-rows product over stored bf16/f16 rows that uses them) at every
/// level against the scalar twins: decode with the scalar decoders, sum in plain order. Float
/// summation order differs (four vector accumulators), so the tolerance is 1e-5 × Σ|aᵢ·wᵢ|, which
/// a product off by 1e-3 of its magnitude fails.
@Suite("Fused 16-bit dot products")
struct HalfDotTests {
    @Test(arguments: [InPlaceWeightTests.Encoding.bf16, .f16])
    func kernelsMatchScalarTwin(encoding: InPlaceWeightTests.Encoding) throws {
        for count in [1, 15, 16, 37, 64, 1000, 2048] {
            let activations = noise(count, seed: 31), floats = noise(count, seed: 32).map { $0 * 70_000 * 0.5 }
            var halves = [UInt16](repeating: 0, count: count)
            floats.withUnsafeBufferPointer { source in
                halves.withUnsafeMutableBufferPointer { target in
                    if encoding == .f16 { HalfConversion.convertFloatToF16(source, into: target) } else { HalfConversion.convertFloatToBF16(source, into: target) }
                }
            }
            // Subnormal, zero and largest f16 patterns among the weights.
            if encoding == .f16 && count >= 16 { halves[3] = 0x0001; halves[5] = 0x8000; halves[7] = 0x7BFF; halves[9] = 0x83FF }
            let weights = halves.map { encoding == .f16 ? HalfConversion.floatFromF16Scalar($0) : HalfConversion.floatFromBF16Scalar($0) }
            var expected: Float = 0, magnitude: Float = 0
            for i in 0..<count {
                expected += activations[i] * weights[i]
                magnitude += abs(activations[i] * weights[i])
            }
            for level in KernelLevel.supported() {
                var paired = [Float](repeating: .nan, count: count)
                level.kernels.pairActivations(activations, &paired, count: count)
                let sum = encoding == .f16 ? level.kernels.f16Dot(paired, halves, count: count) : level.kernels.bf16Dot(paired, halves, count: count)
                #expect(abs(sum - expected) <= 1e-5 * magnitude, "\(encoding) \(level) count \(count): \(sum) vs \(expected)")
                #expect(abs(sum + 1e-3 * magnitude - expected) > 1e-5 * magnitude)
            }
        }
    }

    /// Four weight rows per call (the decoding step's grouping) give each row's single-row sum bit
    /// for bit, at every level, so which columns are grouped never changes a result.
    @Test(arguments: [InPlaceWeightTests.Encoding.bf16, .f16])
    func fourRowsEqualSingleRowsBitForBit(encoding: InPlaceWeightTests.Encoding) throws {
        for count in [1, 15, 16, 37, 2048] {
            let activations = noise(count, seed: 41)
            let floats = noise(4 * count, seed: 42).map { $0 * 1000 }
            var halves = [UInt16](repeating: 0, count: 4 * count)
            floats.withUnsafeBufferPointer { source in
                halves.withUnsafeMutableBufferPointer { target in
                    if encoding == .f16 { HalfConversion.convertFloatToF16(source, into: target) } else { HalfConversion.convertFloatToBF16(source, into: target) }
                }
            }
            for level in KernelLevel.supported() {
                var paired = [Float](repeating: .nan, count: count)
                level.kernels.pairActivations(activations, &paired, count: count)
                var four = [Float](repeating: .nan, count: 4)
                halves.withUnsafeBufferPointer { rows in
                    level.kernels.halfDot4(paired, rows.baseAddress!, rowStride: count, count: count, bfloat16: encoding == .bf16, &four)
                }
                for r in 0..<4 {
                    let row = Array(halves[(r * count)..<((r + 1) * count)])
                    let single = encoding == .f16 ? level.kernels.f16Dot(paired, row, count: count) : level.kernels.bf16Dot(paired, row, count: count)
                    #expect(four[r].bitPattern == single.bitPattern, "\(encoding) \(level) count \(count) row \(r): \(four[r]) vs \(single)")
                }
            }
        }
    }

    /// The few-rows product over stored 16-bit rows (taken once a tensor has been checked
    /// finite: `checkFinite: false`), one to three rows, columns split over two workers.
    @Test(arguments: [InPlaceWeightTests.Encoding.bf16, .f16])
    func fewRowsProductMatchesScalarTwin(encoding: InPlaceWeightTests.Encoding) throws {
        for (rows, columns, depth) in [(1, 40, 1088), (3, 13, 96), (2, 700, 2056)] {
            let source = try InPlaceWeightTests.source(noise(columns * depth, seed: 33), rows: columns, columns: depth, encoding)
            let matrix = try StoredMatrix(source, rows: columns, columns: depth)
            #expect(matrix.halfRows?.isBFloat16 == (encoding == .bf16))
            let decoded = matrix.floats(kernel: .scalar)
            let a = noise(rows * depth, seed: 34), bias = noise(columns, seed: 35)
            var twin = [Float](repeating: .nan, count: rows * columns)
            try MatrixMultiply.multiplyTransposedStoredScalar(
                rows: rows, columns: columns, depth: depth, a: a, lda: depth, b: matrix, bias: bias, c: &twin, ldc: columns)
            for level in KernelLevel.supported() {
                var fast = [Float](repeating: .nan, count: rows * columns)
                let finding = try MatrixMultiply.multiplyTransposed(
                    rows: rows, columns: columns, depth: depth, a: a, lda: depth, b: matrix, bias: bias, c: &fast, ldc: columns,
                    threads: 2, scratch: DecodeScratch(depth: depth, threads: 2), checkFinite: false, level: level)
                #expect(finding == nil)
                for s in 0..<rows {
                    for o in 0..<columns {
                        var magnitude: Float = abs(bias[o])
                        for i in 0..<depth { magnitude += abs(a[s * depth + i] * decoded[o * depth + i]) }
                        #expect(abs(fast[s * columns + o] - twin[s * columns + o]) <= 1e-5 * magnitude, "\(encoding) \(level) \(rows)×\(columns)×\(depth)")
                    }
                }
            }
        }
    }
}
