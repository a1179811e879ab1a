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

    /// Column groups of `columnGroup`: for each, the sums of every reduction block accumulate
    /// in a transposed buffer (`[column][row]`, vector stores only), then `storeTransposed`
    /// writes `bias + sum` into `C` once — rather than adding each block's tile into the
    /// strided rows of `C` (scalar stores 8–32 KB apart, which cost as much as the tile itself).
    /// Within a block, rows go in groups of `rowGroup` so the packed panels a column tile sweeps
    /// stay in L2 for long sequences.
    public static func multiplyColumns(
        _ columnRange: Range<Int>, rows: Int, depth: Int, reductionBlock: Int, packed: UnsafePointer<Float>,
        b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let width = panelWidth
        // One spare panel: a stride of a multiple of 1024 floats (4 KB) would put the column
        // sums `storeTransposed` reads side by side into one L1 set.
        let paddedRows = (rows &+ width &- 1) / width &* width &+ width
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: columnGroup &* paddedRows)
        defer { sums.deallocate() }
        var groupStart = columnRange.lowerBound
        while groupStart < columnRange.upperBound {
            let groupEnd = min(groupStart &+ columnGroup, columnRange.upperBound)
            sums.update(repeating: 0, count: (groupEnd &- groupStart) &* paddedRows)
            var blockStart = 0
            while blockStart < depth {
                let blockDepth = min(reductionBlock, depth &- blockStart)
                var rowStart = 0
                while rowStart < rows {
                    let rowEnd = min(rows, rowStart &+ rowGroup)
                    var column = groupStart
                    while column < groupEnd {
                        let tileColumns = min(tileRows, groupEnd &- column)
                        var panelStart = rowStart
                        while panelStart < rowEnd {
                            tile(
                                weightRows: tileColumns, depth: blockDepth, weights: b + (column &* ldb &+ blockStart), ldb: ldb,
                                panel: packed + (panelStart &* depth &+ blockStart &* width),
                                sums: sums + ((column &- groupStart) &* paddedRows &+ panelStart), sumStride: paddedRows)
                            panelStart &+= width
                        }
                        column &+= tileColumns
                    }
                    rowStart = rowEnd
                }
                blockStart &+= blockDepth
            }
            storeTransposed(
                sums, sumStride: paddedRows, columns: groupEnd &- groupStart, rows: rows,
                bias: bias.map { $0 + groupStart }, c: c + groupStart, ldc: ldc)
            groupStart = groupEnd
        }
    }

    /// A vector of rows per column (contiguous in `sums`), its lanes stored down the rows of `C`;
    /// the last `rows % lanes` rows one at a time. `bias + sum` in every case.
    public static func storeTransposed(
        _ sums: UnsafePointer<Float>, sumStride: Int, columns: Int, rows: Int, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        let lanes = Vector.scalarCount
        var rowStart = 0
        while rowStart &+ lanes <= rows {
            let out = c + rowStart &* ldc
            for column in 0..<columns {
                var values = load(sums + (column &* sumStride &+ rowStart))
                if let bias { values = Vector(repeating: bias[column]) + values }
                for lane in 0..<lanes { out[lane &* ldc &+ column] = values[lane] }
            }
            rowStart &+= lanes
        }
        for row in rowStart..<rows {
            let out = c + row &* ldc
            if let bias {
                for column in 0..<columns { out[column] = bias[column] + sums[column &* sumStride &+ row] }
            } else {
                for column in 0..<columns { out[column] = sums[column &* sumStride &+ row] }
            }
        }
    }

    /// Missing weight rows re-read the first row and are not stored. All `panelWidth` sums of a
    /// column are added (positions past the activations are zero in the panel).
    public static func tile(
        weightRows: Int, depth: Int, weights: UnsafePointer<Float>, ldb: Int, panel: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, sumStride: Int
    ) {
        stridedTile(
            weightRows: weightRows, depth: depth, weights: weights, rowStride: ldb, elementStride: 1, panel: panel,
            sums: sums, sumStride: sumStride)
    }

    /// `tile` with weight `r`'s element `i` at `weights[r · rowStride + i · elementStride]`: the
    /// product's rows (`elementStride` 1, folded away where it is inlined) and attention's values
    /// read down their columns (`rowStride` 1, `elementStride` the key stride).
    @inline(__always)
    static func stridedTile(
        weightRows: Int, depth: Int, weights: UnsafePointer<Float>, rowStride: Int, elementStride: Int,
        panel: UnsafePointer<Float>, sums: UnsafeMutablePointer<Float>, sumStride: Int
    ) {
        let lanes = Vector.scalarCount
        let w0 = weights
        let w1 = weightRows > 1 ? weights + rowStride : weights
        let w2 = weightRows > 2 ? weights + 2 &* rowStride : weights
        let w3 = weightRows > 3 ? weights + 3 &* rowStride : weights
        let w4 = weightRows > 4 ? weights + 4 &* rowStride : weights
        let w5 = weightRows > 5 ? weights + 5 &* rowStride : weights
        var c00 = Vector(), c01 = Vector(), c10 = Vector(), c11 = Vector(), c20 = Vector(), c21 = Vector()
        var c30 = Vector(), c31 = Vector(), c40 = Vector(), c41 = Vector(), c50 = Vector(), c51 = Vector()
        var p = panel
        let step = 2 &* lanes
        for i in 0..<depth {
            let x0 = load(p), x1 = load(p + lanes)
            let e = i &* elementStride
            let b0 = Vector(repeating: w0[e])
            c00 = multiplyAdd(c00, b0, x0); c01 = multiplyAdd(c01, b0, x1)
            let b1 = Vector(repeating: w1[e])
            c10 = multiplyAdd(c10, b1, x0); c11 = multiplyAdd(c11, b1, x1)
            let b2 = Vector(repeating: w2[e])
            c20 = multiplyAdd(c20, b2, x0); c21 = multiplyAdd(c21, b2, x1)
            let b3 = Vector(repeating: w3[e])
            c30 = multiplyAdd(c30, b3, x0); c31 = multiplyAdd(c31, b3, x1)
            let b4 = Vector(repeating: w4[e])
            c40 = multiplyAdd(c40, b4, x0); c41 = multiplyAdd(c41, b4, x1)
            let b5 = Vector(repeating: w5[e])
            c50 = multiplyAdd(c50, b5, x0); c51 = multiplyAdd(c51, b5, x1)
            p += step
        }
        accumulate(c00, c01, into: sums)
        if weightRows > 1 { accumulate(c10, c11, into: sums + sumStride) }
        if weightRows > 2 { accumulate(c20, c21, into: sums + 2 &* sumStride) }
        if weightRows > 3 { accumulate(c30, c31, into: sums + 3 &* sumStride) }
        if weightRows > 4 { accumulate(c40, c41, into: sums + 4 &* sumStride) }
        if weightRows > 5 { accumulate(c50, c51, into: sums + 5 &* sumStride) }
    }

    /// Adds one column's `2 · lanes` position sums into its contiguous accumulators.
    @inline(__always)
    static func accumulate(_ low: Vector, _ high: Vector, into sums: UnsafeMutablePointer<Float>) {
        let lanes = Vector.scalarCount
        store(load(sums) + low, sums)
        store(load(sums + lanes) + high, sums + lanes)
    }
}
