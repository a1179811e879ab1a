import MPTCore

/// Causal multi-head attention in `Float`, tiled with an online softmax (FlashAttention's
/// recurrence): for each query row, keys are visited a tile at a time, keeping only the running
/// maximum `m`, the running sum `l` and the unnormalized output `o` —
/// `m' = max(m, max_j s_j)`, `o ← o·e^(m−m') + Σ_j e^(s_j−m')·v_j`, `l ← l·e^(m−m') + Σ_j e^(s_j−m')`,
/// `output = o / l` — so memory is one key tile of scores per worker (O(context) per head, no
/// `[length × length]` matrix). Tiles of keys after a row's position are never computed (the
/// causal mask). Workers split heads × query tiles; each query tile reuses a key tile from cache.
/// A tile of at least `blockMinimumRows` rows runs as one call of the level's
/// `VectorKernels.attendBlock` (scores and outputs as small matrix products, the softmax update
/// vectorized across the rows); fewer rows (a decoding step) take `attendTile`'s per-key calls.
///
/// Scores are `scale · q·k + slope·(key − position)` (ALiBi relative to the query, which the
/// softmax makes equal to llm-foundry's `slope·(key − (length−1))`). `runScalar` is the plain
/// twin the tests compare against.
public enum TiledAttention {
    /// Most rows `attendTile` takes (its scratch holds this many maxima and sums).
    static let queryTile = 16
    /// Keys per score tile of `attendTile`.
    static let keyTile = 128
    /// Fewest rows of a query tile the block kernel (`VectorKernels.attendBlock`) takes: below,
    /// most of its lanes would be padding (a decoding step has one row), so each row takes the
    /// per-key dot products and updates of `attendTile`.
    static let blockMinimumRows = 4

    /// Where the operands live: row `r` of queries at `queries + r·queryStride`, key/value `j` at
    /// `keys/values + j·keyStride`, output row `r` at `output + r·outputStride`; head `h` at
    /// offset `h·headDim` in each row.
    public struct Operands: @unchecked Sendable {
        public var queries: UnsafePointer<Float>
        public var queryStride: Int
        public var keys: UnsafePointer<Float>
        public var values: UnsafePointer<Float>
        public var keyStride: Int
        public var output: UnsafeMutablePointer<Float>
        public var outputStride: Int

        public init(
            queries: UnsafePointer<Float>, queryStride: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
            keyStride: Int, output: UnsafeMutablePointer<Float>, outputStride: Int
        ) {
            self.queries = queries
            self.queryStride = queryStride
            self.keys = keys
            self.values = values
            self.keyStride = keyStride
            self.output = output
            self.outputStride = outputStride
        }
    }

    /// Attention of `rows` query rows at positions `firstPosition…` against keys `0…position`
    /// each (the keys of every position up to the last row's must be in `operands`); `slopes` has
    /// one ALiBi slope per head, or is empty for none. Work items are heads × query tiles of the
    /// level's `panelWidth` rows: the block kernel for tiles of at least `blockMinimumRows`, else
    /// `attendTile`.
    public static func run(
        _ operands: Operands, rows: Int, firstPosition: Int, heads: Int, headDim: Int, scale: Float, slopes: [Float],
        threads: Int, level: KernelLevel = .active
    ) {
        guard rows > 0, heads > 0, headDim > 0 else { return }
        let kernels = level.kernels
        let tileRows = kernels.panelWidth
        let queryTiles = (rows + tileRows - 1) / tileRows
        let work = Double(rows) * Double(firstPosition + rows) * Double(heads * headDim)
        let scratchCount = max(kernels.attentionScratchCount(depth: headDim), keyTile + 2 * queryTile)
        forEachChunk(count: heads * queryTiles, threads: work < 1_000_000 ? 1 : threads, chunksPerWorker: 4) { items in
            let scratch = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            defer { scratch.deallocate() }
            for item in items {
                // Query-tile-major: the heavy last tiles of all heads are spread over the chunks.
                let head = item % heads, tile = item / heads
                let range = (tile * tileRows)..<min(rows, (tile + 1) * tileRows)
                let slope = slopes.isEmpty ? nil : slopes[head]
                guard range.count >= blockMinimumRows else {
                    for start in stride(from: range.lowerBound, to: range.upperBound, by: queryTile) {
                        attendTile(
                            operands, rows: start..<min(range.upperBound, start + queryTile), firstPosition: firstPosition,
                            head: head, headDim: headDim, scale: scale, slope: slope, scratch: scratch, level: level)
                    }
                    continue
                }
                let offset = head * headDim
                kernels.attendBlock(
                    queries: operands.queries + range.lowerBound * operands.queryStride + offset,
                    queryStride: operands.queryStride, rows: range.count, firstPosition: firstPosition + range.lowerBound,
                    keys: operands.keys + offset, values: operands.values + offset, keyStride: operands.keyStride,
                    depth: headDim, scale: scale, slope: slope ?? 0,
                    output: operands.output + range.lowerBound * operands.outputStride + offset,
                    outputStride: operands.outputStride, scratch: scratch)
            }
        }
    }

    /// One head, one tile of query rows.
    static func attendTile(
        _ operands: Operands, rows: Range<Int>, firstPosition: Int, head: Int, headDim: Int, scale: Float, slope: Float?,
        scratch: UnsafeMutablePointer<Float>, level: KernelLevel
    ) {
        let kernels = level.kernels
        let scores = scratch, maxima = scratch + keyTile, sums = maxima + queryTile
        let offset = head * headDim
        for (slot, row) in rows.enumerated() {
            maxima[slot] = -.infinity
            sums[slot] = 0
            (operands.output + row * operands.outputStride + offset).update(repeating: 0, count: headDim)
        }
        let keyEnd = firstPosition + rows.upperBound  // one past the last row's position
        var tileStart = 0
        while tileStart < keyEnd {
            let tileEnd = min(tileStart + keyTile, keyEnd)
            for (slot, row) in rows.enumerated() {
                let position = firstPosition + row
                guard tileStart <= position else { continue }  // masked: every key is in the future
                let count = min(tileEnd, position + 1) - tileStart
                let query = operands.queries + row * operands.queryStride + offset
                kernels.scaledDots(
                    query: query, keys: operands.keys + tileStart * operands.keyStride + offset, keyStride: operands.keyStride,
                    keyCount: count, depth: headDim, scale: scale, into: scores)
                if let slope {
                    for j in 0..<count { scores[j] += slope * Float(tileStart + j - position) }
                }
                var tileMax = scores[0]
                for j in 1..<max(1, count) where scores[j] > tileMax { tileMax = scores[j] }
                let newMax = max(maxima[slot], tileMax)
                let keep = maxima[slot] == -.infinity ? 0 : ReferenceMath.exp(maxima[slot] - newMax)
                let sum = kernels.exponentials(scores, count: count, shift: newMax)
                sums[slot] = sums[slot] * keep + sum
                maxima[slot] = newMax
                let out = operands.output + row * operands.outputStride + offset
                let values = operands.values + tileStart * operands.keyStride + offset
                kernels.rescaleAdd(out, keep: keep, weight: scores[0], values, count: headDim)
                for j in 1..<max(1, count) {
                    kernels.rescaleAdd(out, keep: 1, weight: scores[j], values + j * operands.keyStride, count: headDim)
                }
            }
            tileStart = tileEnd
        }
        for (slot, row) in rows.enumerated() {
            let out = operands.output + row * operands.outputStride + offset
            let total = sums[slot]
            for i in 0..<headDim { out[i] /= total }
        }
    }

    /// The plain twin: per head and row, every score in `Double`, the row maximum subtracted, a
    /// two-pass softmax, the weighted sum of values; one thread.
    public static func runScalar(
        _ operands: Operands, rows: Int, firstPosition: Int, heads: Int, headDim: Int, scale: Float, slopes: [Float]
    ) {
        for head in 0..<heads {
            let offset = head * headDim
            for row in 0..<rows {
                let position = firstPosition + row
                let query = operands.queries + row * operands.queryStride + offset
                var scores = [Double](repeating: 0, count: position + 1)
                for key in 0...position {
                    var dot = 0.0
                    for i in 0..<headDim { dot += Double(query[i]) * Double(operands.keys[key * operands.keyStride + offset + i]) }
                    scores[key] = Double(scale) * dot + (slopes.isEmpty ? 0 : Double(slopes[head]) * Double(key - position))
                }
                let maximum = scores.max() ?? 0
                let weights = scores.map { ReferenceMath.exp($0 - maximum) }
                let total = weights.reduce(0, +)
                let out = operands.output + row * operands.outputStride + offset
                for i in 0..<headDim {
                    var sum = 0.0
                    for key in 0...position { sum += weights[key] * Double(operands.values[key * operands.keyStride + offset + i]) }
                    out[i] = Float(sum / total)
                }
            }
        }
    }
}
