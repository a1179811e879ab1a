import MPTCore

/// The product for one to three activation rows (a decoding step): each output is a SIMD dot
/// product (`VectorKernels.dot` of the level) of an `A` row with a `B` row read in place, so no
/// panel is packed and no lanes are padding (the panel path would do a panel of rows of work
/// for one). `multiplyTransposedScalar`
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
        threads: Int, level: KernelLevel = .active
    ) {
        guard rows > 0, columns > 0 else { return }
        let work = Double(rows) * Double(columns) * Double(max(depth, 1))
        let sharedA = SendablePointer(a), sharedB = SendablePointer(b), sharedC = SendablePointer(c)
        let sharedBias = bias.map { SendablePointer($0) }
        forEachChunk(count: columns, threads: work < 4_000_000 ? 1 : threads, chunksPerWorker: 4) { range in
            dotColumns(
                range, rows: rows, depth: depth, a: sharedA.readOnly, lda: lda, b: sharedB.readOnly, ldb: ldb,
                bias: sharedBias?.readOnly, c: sharedC.base, ldc: ldc, level: level)
        }
    }

    @usableFromInline
    static func dotColumns(
        _ columnRange: Range<Int>, rows: Int, depth: Int, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
        level: KernelLevel
    ) {
        let kernels = level.kernels
        for column in columnRange {
            let weights = b + column * ldb
            for row in 0..<rows {
                c[row * ldc + column] = kernels.dot(a + row * lda, weights, count: depth) + (bias?[column] ?? 0)
            }
        }
    }
}

extension MatrixMultiply {
    /// The few-rows product over stored bf16 or f16 rows (`StoredMatrix.halfRows`) with the decode
    /// fused into each dot product (`VectorKernels.bf16Dot` / `f16Dot`): every weight is read once
    /// from the mapping, straight into registers, by `threads` workers splitting the columns. The
    /// activations are laid out for the kernels once (`pairActivations`) in the scratch. Its plain twin is
    /// `multiplyTransposedStoredScalar`.
    static func halfDotColumns(
        rows: Int, columns: Int, depth: Int, a: UnsafePointer<Float>, lda: Int, weights: UnsafePointer<UInt16>,
        isBFloat16: Bool, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int,
        scratch: DecodeScratch, level: KernelLevel
    ) {
        let kernels = level.kernels
        // The paired rows go in the scratch's first panel (this path uses no other), so a
        // decoding step allocates nothing; a panel too small for them gets its own memory.
        let fits = scratch.capacity >= rows * depth
        let paired = fits ? scratch.panel(0) : UnsafeMutablePointer<Float>.allocate(capacity: rows * max(depth, 1))
        defer { if !fits { paired.deallocate() } }
        for row in 0..<rows { kernels.pairActivations(a + row * lda, paired + row * depth, count: depth) }
        let sharedPaired = SendablePointer(paired), sharedWeights = SendablePointer(weights), sharedC = SendablePointer(c)
        let sharedBias = bias.map { SendablePointer($0) }
        forEachChunk(count: columns, threads: threads, chunksPerWorker: 4) { range in
            let kernels = level.kernels
            let activations = sharedPaired.readOnly, stored = sharedWeights.readOnly, out = sharedC.base
            var column = range.lowerBound
            // One activation row against four weight rows per call: activations loaded once for
            // the four, four row streams in flight (each sum bit for bit the single-row one).
            if rows == 1 {
                withUnsafeTemporaryAllocation(of: Float.self, capacity: 4) { sums in
                    guard let four = sums.baseAddress else { return }
                    while column + 4 <= range.upperBound {
                        kernels.halfDot4(activations, stored + column * depth, rowStride: depth, count: depth,
                                         bfloat16: isBFloat16, four)
                        for k in 0..<4 { out[column + k] = four[k] + (sharedBias.map { $0.readOnly[column + k] } ?? 0) }
                        column += 4
                    }
                }
            }
            for column in column..<range.upperBound {
                let row16 = stored + column * depth
                let offset = sharedBias.map { $0.readOnly[column] } ?? 0
                for row in 0..<rows {
                    let sum = isBFloat16
                        ? kernels.bf16Dot(activations + row * depth, row16, count: depth)
                        : kernels.f16Dot(activations + row * depth, row16, count: depth)
                    out[row * ldc + column] = sum + offset
                }
            }
        }
    }
}
