/// The matrix product's loops (`C[s, o] = Σᵢ A[s, i] · B[o, i]`): the activations packed into
/// panels of two vectors' worth of rows, the weights streamed from their row-major storage, a
/// 6 × (2 · lanes) register tile (twelve accumulators) broadcasting one weight per `B` row per
/// step against the two panel vectors.
extension KernelSet {
    public static func packPanels(
        _ a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int, into packed: UnsafeMutablePointer<Float>
    ) {
        let width = panelWidth
        var panelStart = 0
        while panelStart < rows {
            let panel = packed + panelStart &* depth
            let height = min(width, rows &- panelStart)
            for j in 0..<width {
                if j < height {
                    let source = a + (panelStart &+ j) &* lda
                    for i in 0..<depth { panel[i &* width &+ j] = source[i] }
                } else {
                    for i in 0..<depth { panel[i &* width &+ j] = 0 }
                }
            }
            panelStart &+= width
        }
    }

    public static func multiplyColumns(
        _ columnRange: Range<Int>, rows: Int, depth: Int, reductionBlock: Int, packed: UnsafePointer<Float>,
        b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        for row in 0..<rows {
            let out = c + (row &* ldc &+ columnRange.lowerBound)
            if let bias {
                out.update(from: bias + columnRange.lowerBound, count: columnRange.count)
            } else {
                out.update(repeating: 0, count: columnRange.count)
            }
        }
        let width = panelWidth
        var blockStart = 0
        while blockStart < depth {
            let blockDepth = min(reductionBlock, depth &- blockStart)
            var column = columnRange.lowerBound
            while column < columnRange.upperBound {
                let tileColumns = min(tileRows, columnRange.upperBound &- column)
                var panelStart = 0
                while panelStart < rows {
                    tile(
                        weightRows: tileColumns, positions: min(width, rows &- panelStart), depth: blockDepth,
                        weights: b + (column &* ldb &+ blockStart), ldb: ldb,
                        panel: packed + (panelStart &* depth &+ blockStart &* width),
                        c: c + (panelStart &* ldc &+ column), ldc: ldc)
                    panelStart &+= width
                }
                column &+= tileColumns
            }
            blockStart &+= blockDepth
        }
    }

    /// Missing weight rows re-read the first row and are not stored; missing positions are zero
    /// in the panel and not stored.
    public static func tile(
        weightRows: Int, positions: Int, depth: Int, weights: UnsafePointer<Float>, ldb: Int,
        panel: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let lanes = Vector.scalarCount
        let w0 = weights
        let w1 = weightRows > 1 ? weights + ldb : weights
        let w2 = weightRows > 2 ? weights + 2 &* ldb : weights
        let w3 = weightRows > 3 ? weights + 3 &* ldb : weights
        let w4 = weightRows > 4 ? weights + 4 &* ldb : weights
        let w5 = weightRows > 5 ? weights + 5 &* ldb : weights
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector(), c20 = Vector(), c21 = Vector()
        var c30 = Vector(), c31 = Vector(), c40 = Vector(), c41 = Vector(), c50 = Vector(), c51 = Vector()
        var p = panel
        let step = 2 &* lanes
        for i in 0..<depth {
            let x0 = load(p), x1 = load(p + lanes)
            let b0 = Vector(repeating: w0[i])
            c00 = multiplyAdd(c00, b0, x0); c01 = multiplyAdd(c01, b0, x1)
            let b1 = Vector(repeating: w1[i])
            c10 = multiplyAdd(c10, b1, x0); c11 = multiplyAdd(c11, b1, x1)
            let b2 = Vector(repeating: w2[i])
            c20 = multiplyAdd(c20, b2, x0); c21 = multiplyAdd(c21, b2, x1)
            let b3 = Vector(repeating: w3[i])
            c30 = multiplyAdd(c30, b3, x0); c31 = multiplyAdd(c31, b3, x1)
            let b4 = Vector(repeating: w4[i])
            c40 = multiplyAdd(c40, b4, x0); c41 = multiplyAdd(c41, b4, x1)
            let b5 = Vector(repeating: w5[i])
            c50 = multiplyAdd(c50, b5, x0); c51 = multiplyAdd(c51, b5, x1)
            p += step
        }
        addTransposed(c00, c01, column: 0, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c10, c11, column: 1, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c20, c21, column: 2, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c30, c31, column: 3, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c40, c41, column: 4, of: weightRows, positions: positions, into: c, ldc: ldc)
        addTransposed(c50, c51, column: 5, of: weightRows, positions: positions, into: c, ldc: ldc)
    }

    /// Adds the `2 · lanes` position sums of one output column into `C[p, column]` (when that
    /// column exists).
    @inline(__always)
    static func addTransposed(
        _ low: Vector, _ high: Vector, column: Int, of columns: Int, positions: Int,
        into c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        guard column < columns else { return }
        let lanes = Vector.scalarCount
        let target = c + column
        if positions == 2 &* lanes {
            for lane in 0..<lanes {
                target[lane &* ldc] += low[lane]
                target[(lane &+ lanes) &* ldc] += high[lane]
            }
        } else {
            for lane in 0..<positions {
                target[lane &* ldc] += lane < lanes ? low[lane] : high[lane &- lanes]
            }
        }
    }
}
