import MPTCore

/// Float matrix products in the layout of PyTorch `Linear`: `C[s, o] = Σᵢ A[s, i] · B[o, i]`
/// (both operands row-major with the reduction index contiguous, "A·Bᵀ").
///
/// Plan of the fast path: the activations `A` (few rows) are packed once into panels of two
/// vectors' worth of rows (16 with 8-lane vectors, 32 with AVX-512) laid out `[i][panel]`; the
/// weights `B` (many rows) are streamed straight from their row-major storage, never copied. A
/// 6 × panel register tile (twelve accumulators) broadcasts one weight per `B` row per step
/// against the two vectors of the packed panel, computing `Cᵀ` for 6 outputs × a panel of
/// positions, then adds it into `C`. The reduction is blocked so one tile's weights (6 × 512
/// floats) stay in L1 and the packed activations of a block in L2; workers split the output
/// columns. The loops themselves are the `VectorKernels` of the CPU level (`KernelLevel`): one
/// source compiled per level, picked at run time. Up to `fewRowsLimit` rows (decoding steps) take the dot-product path instead
/// (`MatrixMultiply+FewRows.swift`). `multiplyTransposedScalar` is the plain twin the tests
/// compare against.
public enum MatrixMultiply {
    /// `B` rows per register tile (every level's `VectorKernels.tileRows`).
    @usableFromInline static let tileRows = 6
    /// Reduction block.
    @usableFromInline static let reductionBlock = 512

    /// `C[s, o] = Σᵢ A[s, i] · B[o, i] (+ bias[o])` for `s < rows`, `o < columns`, `i < depth`,
    /// with row strides `lda`, `ldb`, `ldc`. `C` is overwritten. Uses up to `threads` workers and
    /// the kernels of `level` (which must be supported by this CPU: `KernelLevel.supported()`).
    public static func multiplyTransposed(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int, level: KernelLevel = .active
    ) {
        guard rows > 0, columns > 0 else { return }
        if rows <= fewRowsLimit {
            multiplyTransposedFewRows(
                rows: rows, columns: columns, depth: depth, a: a, lda: lda, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc,
                threads: threads, level: level)
            return
        }
        let kernels = level.kernels
        let panelWidth = kernels.panelWidth
        let panels = (rows + panelWidth - 1) / panelWidth
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: panels * panelWidth * max(depth, 1))
        defer { packed.deallocate() }
        kernels.packPanels(a, lda: lda, rows: rows, depth: depth, into: packed)

        let work = Double(rows) * Double(columns) * Double(max(depth, 1))
        let sharedPacked = SendablePointer(packed), sharedB = SendablePointer(b), sharedC = SendablePointer(c)
        let sharedBias = bias.map { SendablePointer($0) }
        // Chunks of whole tiles; more chunks than workers balances load when other processes
        // share the cores.
        forEachChunk(count: columns, threads: work < 4_000_000 ? 1 : threads, granularity: tileRows, chunksPerWorker: 4) { range in
            kernels.multiplyColumns(
                range, rows: rows, depth: depth, reductionBlock: reductionBlock, packed: sharedPacked.readOnly,
                b: sharedB.readOnly, ldb: ldb, bias: sharedBias?.readOnly, c: sharedC.base, ldc: ldc)
        }
    }
}
