import MPTCore
import MPTGraph

extension MPTForward {
    /// Causal multi-head attention of the query rows in `queries` (fused `qkv` rows
    /// `[rows × 3·d_model]`, at positions `firstPosition…`) against the cached `keys` and `values`
    /// (`[total × d_model]`, already holding the new rows); heads in parallel; writes
    /// `[rows × d_model]` into `context`. Query `p` sees keys `0…p` with bias `slope × (key − p)`.
    /// In `Float` the tiled online-softmax kernel (`TiledAttention`), as the full forward pass.
    func cachedAttention<T: ForwardScalar>(
        queries: ScratchBuffer<T>, firstPosition: Int, keys: [T], values: [T], into context: ScratchBuffer<T>
    ) {
        let d = config.dModel, heads = config.nHeads, headDim = config.headDim
        let rows = queries.count / (3 * d)
        if let queries = queries as? ScratchBuffer<Float>, let context = context as? ScratchBuffer<Float> {
            keys.withUnsafeBufferPointer { keyBuffer in
                values.withUnsafeBufferPointer { valueBuffer in
                    guard let keyBase = keyBuffer.baseAddress, let valueBase = valueBuffer.baseAddress else { return }
                    tiledAttention(
                        queries.readOnly, rows: rows, firstPosition: firstPosition,
                        keys: UnsafeRawPointer(keyBase).assumingMemoryBound(to: Float.self),
                        values: UnsafeRawPointer(valueBase).assumingMemoryBound(to: Float.self), keyStride: d, into: context.pointer)
                }
            }
            return
        }
        let total = keys.count / d
        let scale = T(config.effectiveSoftmaxScale)
        let slopes = config.alibi ? ALiBi.slopes(heads: heads, biasMax: config.alibiBiasMax) : []
        forEachChunk(count: heads, threads: threads) { headRange in
            let scores = ScratchBuffer<T>(count: rows * total)
            let valuesTransposed = ScratchBuffer<T>(count: headDim * total)
            for head in headRange {
                keys.withUnsafeBufferPointer { keyBuffer in
                    values.withUnsafeBufferPointer { valueBuffer in
                        guard let keyBase = keyBuffer.baseAddress, let valueBase = valueBuffer.baseAddress else { return }
                        let query = queries.readOnly + head * headDim
                        T.multiplyTransposed(
                            rows: rows, columns: total, depth: headDim, a: query, lda: 3 * d, b: keyBase + head * headDim,
                            ldb: d, bias: nil, c: scores.pointer, ldc: total, threads: 1)
                        for row in 0..<rows {
                            let position = firstPosition + row
                            let scoreRow = scores.pointer + row * total
                            for key in 0...position {
                                var score = scoreRow[key] * scale
                                if !slopes.isEmpty {
                                    score += ALiBi.bias(slope: slopes[head], key: key, length: position + 1, as: T.self)
                                }
                                scoreRow[key] = score
                            }
                            Softmax.causalRow(scoreRow, last: position, length: total, exp: T.exponential)
                        }
                        let value = valueBase + head * headDim
                        for key in 0..<total {
                            for i in 0..<headDim { valuesTransposed.pointer[i * total + key] = value[key * d + i] }
                        }
                    }
                }
                T.multiplyTransposed(
                    rows: rows, columns: headDim, depth: total, a: scores.readOnly, lda: total,
                    b: valuesTransposed.readOnly, ldb: total, bias: nil, c: context.pointer + head * headDim, ldc: d, threads: 1)
            }
        }
    }
}
