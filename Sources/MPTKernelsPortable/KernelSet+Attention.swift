/// Causal attention of one head for one block of up to `panelWidth` query rows, as two small
/// matrix products per tile of keys with the online-softmax update between them, vectorized
/// across the block's query rows (FlashAttention's inner loop):
/// `Sᵀ[j][p] = Σᵢ K[j][i] · (scale · Q[p][i])` with the register tile of the product, the mask
/// and ALiBi bias, `m' = max(m, maxⱼ S)`, `Pᵀ = e^(Sᵀ − m')`, `l ← l·e^(m−m') + Σⱼ Pᵀ`,
/// `Oᵀ[d][p] ← Oᵀ·e^(m−m') + Σⱼ V[j][d] · Pᵀ[j][p]` (the same tile reading `V` down its columns),
/// and at the end `O = Oᵀ / l` transposed into the output rows.
extension KernelSet {
    public static var attentionKeyTile: Int { 96 }

    public static func attentionScratchCount(depth: Int) -> Int {
        panelWidth &* (2 &* depth &+ attentionKeyTile)
    }

    public static func attendBlock(
        queries: UnsafePointer<Float>, queryStride: Int, rows: Int, firstPosition: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyStride: Int, depth: Int, scale: Float, slope: Float,
        output: UnsafeMutablePointer<Float>, outputStride: Int, scratch: UnsafeMutablePointer<Float>
    ) {
        let width = panelWidth, lanes = Vector.scalarCount, keyTile = attentionKeyTile
        let packedQueries = scratch, transposedOutput = scratch + depth &* width
        let probabilities = transposedOutput + depth &* width
        packPanels(queries, lda: queryStride, rows: rows, depth: depth, into: packedQueries)
        let scaleLanes = Vector(repeating: scale)
        for index in 0..<(depth &* 2) {
            store(load(packedQueries + index &* lanes) * scaleLanes, packedQueries + index &* lanes)
        }
        transposedOutput.update(repeating: 0, count: depth &* width)
        var positions0 = Vector(), positions1 = Vector()
        for lane in 0..<lanes {
            positions0[lane] = Float(firstPosition &+ lane)
            positions1[lane] = Float(firstPosition &+ lanes &+ lane)
        }
        var maximum0 = Vector(repeating: -.infinity), maximum1 = maximum0
        var sum0 = Vector(), sum1 = Vector()
        let keyEnd = firstPosition &+ rows
        var tileStart = 0
        while tileStart < keyEnd {
            let count = min(keyTile, keyEnd &- tileStart)
            probabilities.update(repeating: 0, count: count &* width)
            var key = 0
            while key < count {
                tile(
                    weightRows: min(tileRows, count &- key), depth: depth, weights: keys + (tileStart &+ key) &* keyStride,
                    ldb: keyStride, panel: packedQueries, sums: probabilities + key &* width, sumStride: width)
                key &+= tileRows
            }
            let masked = tileStart &+ count &- 1 > firstPosition
            var tileMaximum0 = Vector(repeating: -.infinity), tileMaximum1 = tileMaximum0
            let slopeLanes = Vector(repeating: slope)
            for j in 0..<count {
                let scores = probabilities + j &* width
                var s0 = load(scores), s1 = load(scores + lanes)
                let keyLanes = Vector(repeating: Float(tileStart &+ j))
                if slope != 0 {
                    s0 = multiplyAdd(s0, slopeLanes, keyLanes - positions0)
                    s1 = multiplyAdd(s1, slopeLanes, keyLanes - positions1)
                }
                if masked {
                    s0.replace(with: Vector(repeating: -.infinity), where: keyLanes .> positions0)
                    s1.replace(with: Vector(repeating: -.infinity), where: keyLanes .> positions1)
                }
                store(s0, scores)
                store(s1, scores + lanes)
                tileMaximum0.replace(with: s0, where: s0 .> tileMaximum0)
                tileMaximum1.replace(with: s1, where: s1 .> tileMaximum1)
            }
            tileMaximum0.replace(with: maximum0, where: maximum0 .> tileMaximum0)
            tileMaximum1.replace(with: maximum1, where: maximum1 .> tileMaximum1)
            var keep0 = exponential(maximum0 - tileMaximum0), keep1 = exponential(maximum1 - tileMaximum1)
            keep0.replace(with: Vector(), where: maximum0 .== Vector(repeating: -.infinity))
            keep1.replace(with: Vector(), where: maximum1 .== Vector(repeating: -.infinity))
            maximum0 = tileMaximum0
            maximum1 = tileMaximum1
            var tileSum0 = Vector(), tileSum1 = Vector()
            for j in 0..<count {
                let scores = probabilities + j &* width
                let s0 = load(scores), s1 = load(scores + lanes)
                var p0 = exponential(s0 - maximum0), p1 = exponential(s1 - maximum1)
                p0.replace(with: Vector(), where: s0 .== Vector(repeating: -.infinity))
                p1.replace(with: Vector(), where: s1 .== Vector(repeating: -.infinity))
                store(p0, scores)
                store(p1, scores + lanes)
                tileSum0 += p0
                tileSum1 += p1
            }
            sum0 = multiplyAdd(tileSum0, sum0, keep0)
            sum1 = multiplyAdd(tileSum1, sum1, keep1)
            for i in 0..<depth {
                let row = transposedOutput + i &* width
                store(load(row) * keep0, row)
                store(load(row + lanes) * keep1, row + lanes)
            }
            var column = 0
            while column < depth {
                stridedTile(
                    weightRows: min(tileRows, depth &- column), depth: count,
                    weights: values + (tileStart &* keyStride &+ column), rowStride: 1, elementStride: keyStride,
                    panel: probabilities, sums: transposedOutput + column &* width, sumStride: width)
                column &+= tileRows
            }
            tileStart &+= count
        }
        for row in 0..<rows {
            let total = row < lanes ? sum0[row] : sum1[row &- lanes]
            let out = output + row &* outputStride
            for i in 0..<depth { out[i] = transposedOutput[i &* width &+ row] / total }
        }
    }
}
