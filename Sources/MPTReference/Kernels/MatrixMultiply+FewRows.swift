import MPTCore

/// The product for one to three activation rows (a decoding step): each output is a SIMD dot
/// product of an `A` row with a `B` row read in place, so no panel is packed and no lanes are
/// padding (the 16-row panel path would do 16 rows of work for one). `multiplyTransposedScalar`
/// is its plain twin.
extension MatrixMultiply {
    /// Largest `rows` the dot-product path takes.
    @usableFromInline static let fewRowsLimit = 3

    /// `C[s, o] = Σᵢ A[s, i] · B[o, i] (+ bias[o])` as dot products; workers split the columns.
    public static func multiplyTransposedFewRows(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int
    ) {
        guard rows > 0, columns > 0 else { return }
        let work = Double(rows) * Double(columns) * Double(max(depth, 1))
        let sharedA = SendablePointer(a), sharedB = SendablePointer(b), sharedC = SendablePointer(c)
        let sharedBias = bias.map { SendablePointer($0) }
        forEachChunk(count: columns, threads: work < 4_000_000 ? 1 : threads, chunksPerWorker: 4) { range in
            dotColumns(
                range, rows: rows, depth: depth, a: sharedA.readOnly, lda: lda, b: sharedB.readOnly, ldb: ldb,
                bias: sharedBias?.readOnly, c: sharedC.base, ldc: ldc)
        }
    }

    @usableFromInline
    static func dotColumns(
        _ columnRange: Range<Int>, rows: Int, depth: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for column in columnRange {
            let weights = b + column * ldb
            for row in 0..<rows {
                c[row * ldc + column] = dot(a + row * lda, weights, count: depth) + (bias?[column] ?? 0)
            }
        }
    }

    /// `Σᵢ x[i] · y[i]` with two 8-lane accumulators, the tail in scalar.
    @inline(__always) @usableFromInline
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        var low = SIMD8<Float>(), high = SIMD8<Float>()
        var i = 0
        while i &+ 16 <= count {
            low = multiplyAdd(low, load8(x + i), load8(y + i))
            high = multiplyAdd(high, load8(x + (i &+ 8)), load8(y + (i &+ 8)))
            i &+= 16
        }
        if i &+ 8 <= count {
            low = multiplyAdd(low, load8(x + i), load8(y + i))
            i &+= 8
        }
        var sum = (low + high).sum()
        while i < count {
            sum += x[i] * y[i]
            i &+= 1
        }
        return sum
    }
}
