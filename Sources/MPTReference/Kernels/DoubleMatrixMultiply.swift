import MPTCore

/// The `Double` product for the exact reference path: same layout as `MatrixMultiply`
/// (`C[s, o] = Σᵢ A[s, i] · B[o, i]`), a 2×2 tile of 4-lane `Double` dot products, workers split
/// over output columns. Slower than the `Float` path but summed entirely in `Double`.
public enum DoubleMatrixMultiply {
    /// `C[s, o] = Σᵢ A[s, i] · B[o, i] (+ bias[o])`; `C` is overwritten.
    public static func multiplyTransposed(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Double>, lda: Int,
        b: UnsafePointer<Double>, ldb: Int,
        bias: UnsafePointer<Double>?,
        c: UnsafeMutablePointer<Double>, ldc: Int,
        threads: Int
    ) {
        guard rows > 0, columns > 0 else { return }
        let work = Double(rows) * Double(columns) * Double(max(depth, 1))
        let sharedA = SendablePointer(a), sharedB = SendablePointer(b), sharedC = SendablePointer(c)
        let sharedBias = bias.map { SendablePointer($0) }
        // Chunks of whole 2-column tiles.
        forEachChunk(count: columns, threads: work < 1_000_000 ? 1 : threads, granularity: 2, chunksPerWorker: 4) { range in
            multiplyColumns(
                range, rows: rows, depth: depth, a: sharedA.readOnly, lda: lda, b: sharedB.readOnly, ldb: ldb,
                bias: sharedBias?.readOnly, c: sharedC.base, ldc: ldc)
        }
    }

    static func multiplyColumns(
        _ columns: Range<Int>, rows: Int, depth: Int,
        a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        bias: UnsafePointer<Double>?, c: UnsafeMutablePointer<Double>, ldc: Int
    ) {
        var row = 0
        while row < rows {
            let a0 = a + row * lda
            let a1 = row + 1 < rows ? a0 + lda : a0
            var column = columns.lowerBound
            while column < columns.upperBound {
                let b0 = b + column * ldb
                let b1 = column + 1 < columns.upperBound ? b0 + ldb : b0
                var s00 = SIMD4<Double>(), s01 = SIMD4<Double>(), s10 = SIMD4<Double>(), s11 = SIMD4<Double>()
                var i = 0
                while i + 4 <= depth {
                    let x0 = load(a0 + i), x1 = load(a1 + i), w0 = load(b0 + i), w1 = load(b1 + i)
                    s00 += x0 * w0; s01 += x0 * w1; s10 += x1 * w0; s11 += x1 * w1
                    i += 4
                }
                var t00 = s00.sum(), t01 = s01.sum(), t10 = s10.sum(), t11 = s11.sum()
                while i < depth {
                    t00 += a0[i] * b0[i]; t01 += a0[i] * b1[i]; t10 += a1[i] * b0[i]; t11 += a1[i] * b1[i]
                    i += 1
                }
                let sums = [(t00, t01), (t10, t11)]
                for r in 0..<min(2, rows - row) {
                    for j in 0..<min(2, columns.upperBound - column) {
                        let value = j == 0 ? sums[r].0 : sums[r].1
                        c[(row + r) * ldc + column + j] = value + (bias?[column + j] ?? 0)
                    }
                }
                column += 2
            }
            row += 2
        }
    }

    @inline(__always)
    static func load(_ pointer: UnsafePointer<Double>) -> SIMD4<Double> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Double>.self)
    }
}
