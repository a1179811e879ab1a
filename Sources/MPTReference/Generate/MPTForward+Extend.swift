import MPTGraph

extension MPTForward {
    /// Runs `tokens` as the next positions after those in `cache` (`cache.length…`), appends their
    /// keys and values to `cache`, and returns the logits of the last of them (`[vocabSize]`).
    ///
    /// Each new row attends to every cached key plus the new ones up to itself, with the ALiBi
    /// bias `slope × (key − query)`; `clip_qkv`, `qk_ln`, `softmax_scale` and `logit_scale` apply
    /// as in `run(tokens:as:)`, so extending an empty cache by a prompt and then by one token at a
    /// time gives, at every step, the last row of the full forward pass over the same prefix.
    public func extend<T: ForwardScalar>(_ tokens: [Int], cache: inout KeyValueCache<T>) throws -> [T] {
        let start = cache.length
        let limit = config.learnedPositionEmbedding ? config.maxSeqLen : Int.max
        let (total, overflow) = start.addingReportingOverflow(tokens.count)
        guard !tokens.isEmpty, !overflow, total <= limit else {
            throw ReferenceError.badSequenceLength(overflow ? Int.max : total, limit: limit)
        }
        guard cache.layerCount == config.nLayers, cache.width == config.dModel else {
            throw ReferenceError.sizeMismatch(
                "key/value cache of \(cache.layerCount) layers × \(cache.width) for a model of \(config.nLayers) × \(config.dModel)")
        }
        for (row, token) in tokens.enumerated() where token < 0 || token >= config.vocabSize {
            throw ReferenceError.tokenOutOfRange(position: start + row, token: token, vocabSize: config.vocabSize)
        }
        let d = config.dModel
        let rows = tokens.count
        let state = ScratchBuffer<T>(count: rows * d)
        try embed(tokens, firstPosition: start, into: state)
        let buffers = cache.buffers(rows: rows, config: config, threads: threads)
        for layer in 0..<config.nLayers {
            try projectQKV(layer, state: state, buffers: buffers)
            cache.append(layer: layer, qkv: buffers.qkv.readOnly, rows: rows)
            cachedAttention(
                queries: buffers.qkv, firstPosition: start, keys: cache.keys[layer], values: cache.values[layer],
                into: buffers.context)
            try finishBlock(layer, state: state, buffers: buffers)
        }
        cache.commit(rows: rows)
        return try headLogits(state.readOnly + (rows - 1) * d, rows: 1, buffers: buffers)
    }
}
