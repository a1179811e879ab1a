import MPTCore

/// Float matrix products in the layout of PyTorch `Linear`: `C[s, o] = Σᵢ A[s, i] · B[o, i]`
/// (both operands row-major with the reduction index contiguous, "A·Bᵀ").
///
/// Plan of the fast path: the activations `A` (few rows) are packed once into 16-row panels laid
/// out `[i][16]`; the weights `B` (many rows) are streamed straight from their row-major storage,
/// never copied. A 6×16 register tile (twelve 8-lane accumulators) broadcasts one weight per
/// `B` row per step against two vectors of the packed panel, computing `Cᵀ` for 6 outputs × 16
/// positions, then adds it into `C`. The reduction is blocked so one tile's weights (6 × 512
/// floats) stay in L1 and the packed activations of a block in L2; workers split the output
/// columns. Up to `fewRowsLimit` rows (decoding steps) take the dot-product path instead
/// (`MatrixMultiply+FewRows.swift`). `multiplyTransposedScalar` is the plain twin the tests
/// compare against.
public enum MatrixMultiply {
    /// `B` rows per register tile.
    @usableFromInline static let tileRows = 6
    /// `A` rows per packed panel (two 8-lane vectors).
    @usableFromInline static let panelWidth = 16
    /// Reduction block.
    @usableFromInline static let reductionBlock = 512

    /// `C[s, o] = Σᵢ A[s, i] · B[o, i] (+ bias[o])` for `s < rows`, `o < columns`, `i < depth`,
    /// with row strides `lda`, `ldb`, `ldc`. `C` is overwritten. Uses up to `threads` workers.
    public static func multiplyTransposed(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int
    ) {
        guard rows > 0, columns > 0 else { return }
        if rows <= fewRowsLimit {
            multiplyTransposedFewRows(
                rows: rows, columns: columns, depth: depth, a: a, lda: lda, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc,
                threads: threads)
            return
        }
        let panels = (rows + panelWidth - 1) / panelWidth
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: panels * panelWidth * max(depth, 1))
        defer { packed.deallocate() }
        packPanels(a, lda: lda, rows: rows, depth: depth, into: packed)

        let work = Double(rows) * Double(columns) * Double(max(depth, 1))
        let sharedPacked = SendablePointer(packed), sharedB = SendablePointer(b), sharedC = SendablePointer(c)
        let sharedBias = bias.map { SendablePointer($0) }
        // Chunks of whole tiles; more chunks than workers balances load when other processes
        // share the cores.
        forEachChunk(count: columns, threads: work < 4_000_000 ? 1 : threads, granularity: tileRows, chunksPerWorker: 4) { range in
            multiplyColumns(
                range, rows: rows, depth: depth, packed: sharedPacked.readOnly, b: sharedB.readOnly, ldb: ldb,
                bias: sharedBias?.readOnly, c: sharedC.base, ldc: ldc)
        }
    }

    /// Copies `A` into 16-row panels laid out `[panel][i][16]`, zero-filling rows past the end.
    @usableFromInline
    static func packPanels(
        _ a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        var panelStart = 0
        while panelStart < rows {
            let panel = packed + panelStart * depth
            let height = min(panelWidth, rows - panelStart)
            for j in 0..<panelWidth {
                if j < height {
                    let source = a + (panelStart + j) * lda
                    for i in 0..<depth { panel[i &* panelWidth &+ j] = source[i] }
                } else {
                    for i in 0..<depth { panel[i &* panelWidth &+ j] = 0 }
                }
            }
            panelStart += panelWidth
        }
    }

    /// One worker's share: output columns `columnRange`, all rows.
    @usableFromInline
    static func multiplyColumns(
        _ columnRange: Range<Int>, rows: Int, depth: Int,
        packed: UnsafePointer<Float>, b: UnsafePointer<Float>, ldb: Int,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for row in 0..<rows {
            let out = c + row * ldc + columnRange.lowerBound
            if let bias {
                out.update(from: bias + columnRange.lowerBound, count: columnRange.count)
            } else {
                out.update(repeating: 0, count: columnRange.count)
            }
        }
        var blockStart = 0
        while blockStart < depth {
            let blockDepth = min(reductionBlock, depth - blockStart)
            var column = columnRange.lowerBound
            while column < columnRange.upperBound {
                let tileColumns = min(tileRows, columnRange.upperBound - column)
                var panelStart = 0
                while panelStart < rows {
                    tile(
                        weightRows: tileColumns, positions: min(panelWidth, rows - panelStart), depth: blockDepth,
                        weights: b + column * ldb + blockStart, ldb: ldb,
                        panel: packed + panelStart * depth + blockStart * panelWidth,
                        c: c + panelStart * ldc + column, ldc: ldc)
                    panelStart += panelWidth
                }
                column += tileColumns
            }
            blockStart += blockDepth
        }
    }

    @inline(__always) @usableFromInline
    static func load8(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The 6×16 register tile: for `weightRows` (≤ 6) rows of `B` and `positions` (≤ 16) rows of
    /// the packed panel, adds `Σᵢ B[r, i] · A[p, i]` into `C[p, r]`. Missing weight rows re-read
    /// the first row and are not stored; missing positions are zero in the panel and not stored.
    @inline(__always) @usableFromInline
    static func tile(
        weightRows: Int, positions: Int, depth: Int,
        weights: UnsafePointer<Float>, ldb: Int, panel: UnsafePointer<Float>,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let w0 = weights
        let w1 = weightRows > 1 ? weights + ldb : weights
        let w2 = weightRows > 2 ? weights + 2 * ldb : weights
        let w3 = weightRows > 3 ? weights + 3 * ldb : weights
        let w4 = weightRows > 4 ? weights + 4 * ldb : weights
        let w5 = weightRows > 5 ? weights + 5 * ldb : weights
        var c00 = SIMD8<Float>(), c01 = SIMD8<Float>()
        var c10 = SIMD8<Float>(), c11 = SIMD8<Float>()
        var c20 = SIMD8<Float>(), c21 = SIMD8<Float>()
        var c30 = SIMD8<Float>(), c31 = SIMD8<Float>()
        var c40 = SIMD8<Float>(), c41 = SIMD8<Float>()
        var c50 = SIMD8<Float>(), c51 = SIMD8<Float>()
        var p = panel
        for i in 0..<depth {
            let x0 = load8(p), x1 = load8(p + 8)
            let b0 = SIMD8<Float>(repeating: w0[i])
            c00 = multiplyAdd(c00, b0, x0); c01 = multiplyAdd(c01, b0, x1)
            let b1 = SIMD8<Float>(repeating: w1[i])
            c10 = multiplyAdd(c10, b1, x0); c11 = multiplyAdd(c11, b1, x1)
            let b2 = SIMD8<Float>(repeating: w2[i])
            c20 = multiplyAdd(c20, b2, x0); c21 = multiplyAdd(c21, b2, x1)
            let b3 = SIMD8<Float>(repeating: w3[i])
            c30 = multiplyAdd(c30, b3, x0); c31 = multiplyAdd(c31, b3, x1)
            let b4 = SIMD8<Float>(repeating: w4[i])
            c40 = multiplyAdd(c40, b4, x0); c41 = multiplyAdd(c41, b4, x1)
            let b5 = SIMD8<Float>(repeating: w5[i])
            c50 = multiplyAdd(c50, b5, x0); c51 = multiplyAdd(c51, b5, x1)
            p += panelWidth
        }
        addTransposed(c00, c01, column: 0, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c10, c11, column: 1, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c20, c21, column: 2, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c30, c31, column: 3, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c40, c41, column: 4, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c50, c51, column: 5, of: weightRows, positions: positions, into: c, ldc: ldc)
    }

    /// Adds 16 position sums of one output column into `C[p, column]` (when that column exists).
    @inline(__always) @usableFromInline
    static func addTransposed(
        _ low: SIMD8<Float>, _ high: SIMD8<Float>, column: Int, of columns: Int, positions: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard column < columns else { return }
        let target = c + column
        if positions == panelWidth {
            for lane in 0..<8 {
                target[lane &* ldc] += low[lane]
                target[(lane &+ 8) &* ldc] += high[lane]
            }
        } else {
            for lane in 0..<positions {
                target[lane &* ldc] += lane < 8 ? low[lane] : high[lane &- 8]
            }
        }
    }
}
