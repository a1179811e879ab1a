import MPTCore
import Testing
@testable import MPTReference

@Suite("Tiled attention")
struct TiledAttentionTests {
    /// Tiled online softmax at every kernel level vs the plain twin (Double scores, two-pass
    /// softmax): lengths across the 16-row query tile and the 128-key tile, with and without
    /// ALiBi, from position 0 (full forward) and after cached keys (generation). Tolerance 2e-6
    /// absolute on outputs of magnitude ≤ 1: float dot products of 20 terms of magnitude ≤ 9 and
    /// the ≤ 2-ulp exponential stay far below it, while a wrong mask or bias moves outputs by
    /// 1e-3 or more (`brokenMaskIsCaught`).
    @Test(arguments: [(1, 0), (17, 0), (150, 0), (1, 200), (5, 129), (40, 90)])
    func matchesScalarTwin(shape: (Int, Int)) {
        let (rows, first) = shape
        let heads = 3, headDim = 20, stride = heads * headDim + 5
        let total = first + rows
        let queries = noise(rows * stride, seed: 1).map { $0 * 3 }, keys = noise(total * stride, seed: 2).map { $0 * 3 }
        let values = noise(total * stride, seed: 3)
        for slopes in [[], [0.5, 0.125, 1.0 / 32] as [Float]] {
            var expected = [Float](repeating: 0, count: rows * heads * headDim)
            run(queries, keys, values, &expected, rows: rows, first: first, heads: heads, headDim: headDim, stride: stride, slopes: slopes, level: nil)
            for level in KernelLevel.supported() {
                var output = [Float](repeating: .nan, count: rows * heads * headDim)
                run(queries, keys, values, &output, rows: rows, first: first, heads: heads, headDim: headDim, stride: stride, slopes: slopes, level: level)
                let worst = zip(output, expected).map { abs($0 - $1) }.max() ?? .nan
                #expect(worst <= 2e-6, "level \(level), slopes \(slopes): max |Δ| \(worst)")
            }
        }
    }

    /// The rule bites: attending one key too many (a broken mask) is far outside the tolerance.
    @Test func brokenMaskIsCaught() {
        let heads = 1, headDim = 8, rows = 4, stride = 8
        let queries = noise(rows * stride, seed: 4), keys = noise(rows * stride, seed: 5), values = noise(rows * stride, seed: 6)
        var expected = [Float](repeating: 0, count: rows * headDim), shifted = expected
        run(queries, keys, values, &expected, rows: rows, first: 0, heads: heads, headDim: headDim, stride: stride, slopes: [], level: .active)
        // Rows at positions 1… see one more key: the last row's output from row 0's keys differs.
        run(queries, keys, values, &shifted, rows: rows - 1, first: 1, heads: heads, headDim: headDim, stride: stride, slopes: [], level: .active)
        let worst = zip(shifted, expected.prefix((rows - 1) * headDim)).map { abs($0 - $1) }.max() ?? 0
        #expect(worst > 1e-3)
    }

    /// The polynomial exponential vs libm's `expf`: within 2 ulp over [-87, 0] plus NaN.
    @Test func exponentialsMatchLibm() {
        let xs: [Float] = (0..<2000).map { -87 * Float($0) / 1999 } + [0, -1e-8, -0.5, -20.25]
        for level in KernelLevel.supported() {
            var values = xs
            let sum = level.kernels.exponentials(&values, count: values.count, shift: 0)
            var total: Float = 0
            for (x, y) in zip(xs, values) {
                let reference = ReferenceMath.exp(x)
                #expect(abs(y - reference) <= 2 * reference.ulp, "level \(level) at \(x): \(y) vs \(reference)")
                total += y
            }
            #expect(abs(sum - total) <= 1e-5 * total)
            var nan: [Float] = [.nan, 1]
            _ = level.kernels.exponentials(&nan, count: 2, shift: 1)
            #expect(nan[0].isNaN && nan[1] == 1)
        }
    }

    private func run(
        _ queries: [Float], _ keys: [Float], _ values: [Float], _ output: inout [Float], rows: Int, first: Int, heads: Int,
        headDim: Int, stride: Int, slopes: [Float], level: KernelLevel?
    ) {
        queries.withUnsafeBufferPointer { q in
            keys.withUnsafeBufferPointer { k in
                values.withUnsafeBufferPointer { v in
                    output.withUnsafeMutableBufferPointer { o in
                        let operands = TiledAttention.Operands(
                            queries: q.baseAddress!, queryStride: stride, keys: k.baseAddress!, values: v.baseAddress!,
                            keyStride: stride, output: o.baseAddress!, outputStride: heads * headDim)
                        if let level {
                            TiledAttention.run(operands, rows: rows, firstPosition: first, heads: heads, headDim: headDim, scale: 0.3, slopes: slopes, threads: 2, level: level)
                        } else {
                            TiledAttention.runScalar(operands, rows: rows, firstPosition: first, heads: heads, headDim: headDim, scale: 0.3, slopes: slopes)
                        }
                    }
                }
            }
        }
    }
}
