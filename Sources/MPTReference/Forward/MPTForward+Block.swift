import MPTCore
import MPTGraph

extension MPTForward {
    /// One transformer block, updating `state` (`[length × d_model]`: `sequences` independent
    /// sequences of equal length, one after another; more than one only in `Float`) in place.
    func runBlock<T: ForwardScalar>(_ layer: Int, state: ScratchBuffer<T>, buffers: BlockBuffers<T>, sequences: Int = 1) throws {
        let length = state.count / config.dModel
        try projectQKV(layer, state: state, buffers: buffers)
        attention(qkv: buffers.qkv, length: length, sequences: sequences, into: buffers.context)
        try finishBlock(layer, state: state, buffers: buffers)
    }

    /// The attention input of a block: `qkv = LN₁(x)·Wqkvᵀ (+b)`, clamped to `±clip_qkv`, with
    /// `q` and `k` LayerNormed under `qk_ln`; written to `buffers.qkv` (`[length × 3·d_model]`).
    func projectQKV<T: ForwardScalar>(_ layer: Int, state: ScratchBuffer<T>, buffers: BlockBuffers<T>) throws {
        let d = config.dModel
        let length = state.count / d
        let normed = buffers.normed, qkv = buffers.qkv
        try layerNorm(state.readOnly, inputStride: d, into: normed.pointer, outputStride: d, rows: length, .block(layer, .norm1, .weight))
        observeLinearInput(layer, .wqkv, normed.readOnly, rows: length)
        try linear(layer, .wqkv, rows: length, input: normed.readOnly, output: qkv.pointer, scratch: buffers.scratch)
        if let clip = config.clipQKV, clip != 0 {  // `if self.clip_qkv:` in both peers: 0 means off
            let limit = T(clip)
            for index in 0..<qkv.count { qkv.pointer[index] = Activation.clamp(qkv.pointer[index], limit: limit) }
        }
        if config.qkLayerNorm {
            try layerNorm(qkv.readOnly, inputStride: 3 * d, into: qkv.pointer, outputStride: 3 * d, rows: length, .block(layer, .qNorm, .weight))
            try layerNorm(qkv.readOnly + d, inputStride: 3 * d, into: qkv.pointer + d, outputStride: 3 * d, rows: length, .block(layer, .kNorm, .weight))
        }
    }

    /// The rest of a block once `buffers.context` holds the attention output:
    /// `x += out_proj(context)`, then `x += down(gelu(up(LN₂(x))))`.
    func finishBlock<T: ForwardScalar>(_ layer: Int, state: ScratchBuffer<T>, buffers: BlockBuffers<T>) throws {
        let d = config.dModel
        let length = state.count / d
        let normed = buffers.normed, projected = buffers.projected, hidden = buffers.hidden
        observeLinearInput(layer, .outProj, buffers.context.readOnly, rows: length)
        try linear(layer, .outProj, rows: length, input: buffers.context.readOnly, output: projected.pointer, scratch: buffers.scratch)
        addInPlace(state, projected)

        try layerNorm(state.readOnly, inputStride: d, into: normed.pointer, outputStride: d, rows: length, .block(layer, .norm2, .weight))
        observeLinearInput(layer, .upProj, normed.readOnly, rows: length)
        try linear(layer, .upProj, rows: length, input: normed.readOnly, output: hidden.pointer, scratch: buffers.scratch)
        applyGELU(hidden)
        observeLinearInput(layer, .downProj, hidden.readOnly, rows: length)
        try linear(layer, .downProj, rows: length, input: hidden.readOnly, output: projected.pointer, scratch: buffers.scratch)
        addInPlace(state, projected)
    }

    /// `state += delta`.
    func addInPlace<T: ForwardScalar>(_ state: ScratchBuffer<T>, _ delta: ScratchBuffer<T>) {
        let target = state.pointer, source = delta.readOnly
        for index in 0..<state.count { target[index] += source[index] }
    }

    /// The configured GELU (exact, or tanh-approximated when `ffn_act_fn` says so) over
    /// `buffer`, split over the workers; the exact one in `Float` is the kernels' vectorized
    /// `gelu` (erf within 1.5e-7), in `Double` the libm `erf`.
    func applyGELU<T: ForwardScalar>(_ buffer: ScratchBuffer<T>) {
        let approximation = config.geluApproximation
        let floats = approximation == .none ? buffer as? ScratchBuffer<Float> : nil
        // Chunks of at least 4096 values: smaller ones cost more to hand out than to compute.
        forEachChunk(count: buffer.count, threads: min(threads, max(1, buffer.count / 4096)), chunksPerWorker: 4) { range in
            if let floats {  // the exact GELU in Float: the level's vector kernel
                KernelLevel.kernels.gelu(floats.pointer + range.lowerBound, count: range.count)
                return
            }
            switch approximation {
            case .none: for index in range { buffer.pointer[index] = T.gelu(buffer.pointer[index]) }
            case .tanh: for index in range { buffer.pointer[index] = T.geluTanh(buffer.pointer[index]) }
            }
        }
    }

    /// Causal multi-head attention with ALiBi over the fused `qkv` rows (`[length × 3·d_model]`),
    /// heads in parallel; writes `[length × d_model]` into `context`. In `Float` the tiled
    /// online-softmax kernel (`TiledAttention`); in `Double` one `[length × length]` score matrix
    /// per head and a two-pass softmax. In `Float`, `sequences` equal-length sequences each attend
    /// only within themselves.
    func attention<T: ForwardScalar>(qkv: ScratchBuffer<T>, length: Int, sequences: Int = 1, into context: ScratchBuffer<T>) {
        if let qkv = qkv as? ScratchBuffer<Float>, let context = context as? ScratchBuffer<Float> {
            let d = config.dModel, rows = length / max(sequences, 1)
            for sequence in 0..<max(sequences, 1) {
                let first = qkv.readOnly + sequence * rows * 3 * d
                tiledAttention(first, rows: rows, firstPosition: 0, keys: first + d, values: first + 2 * d, keyStride: 3 * d,
                               into: context.pointer + sequence * rows * d)
            }
            return
        }
        let d = config.dModel, heads = config.nHeads, headDim = config.headDim
        let scale = T(config.effectiveSoftmaxScale)
        let slopes = config.alibi ? ALiBi.slopes(heads: heads, biasMax: config.alibiBiasMax) : []
        // `bias[key]` per head, in T.
        let biases: [[T]] = slopes.map { slope in (0..<length).map { ALiBi.bias(slope: slope, key: $0, length: length, as: T.self) } }
        forEachChunk(count: heads, threads: threads) { headRange in
            let scores = ScratchBuffer<T>(count: length * length)
            let valuesTransposed = ScratchBuffer<T>(count: headDim * length)
            for head in headRange {
                let query = qkv.readOnly + head * headDim
                let key = query + d
                let value = query + 2 * d
                T.multiplyTransposed(
                    rows: length, columns: length, depth: headDim, a: query, lda: 3 * d, b: key, ldb: 3 * d,
                    bias: nil, c: scores.pointer, ldc: length, threads: 1)
                for row in 0..<length {
                    let scoreRow = scores.pointer + row * length
                    for column in 0...row {
                        var score = scoreRow[column] * scale
                        if !biases.isEmpty { score += biases[head][column] }
                        scoreRow[column] = score
                    }
                    Softmax.causalRow(scoreRow, last: row, length: length, exp: T.exponential)
                }
                for position in 0..<length {
                    for i in 0..<headDim { valuesTransposed.pointer[i * length + position] = value[position * 3 * d + i] }
                }
                T.multiplyTransposed(
                    rows: length, columns: headDim, depth: length, a: scores.readOnly, lda: length,
                    b: valuesTransposed.readOnly, ldb: length, bias: nil, c: context.pointer + head * headDim, ldc: d, threads: 1)
            }
        }
    }

    /// `TiledAttention` of `rows` fused `qkv` rows at positions `firstPosition…` against `keys` /
    /// `values` (row stride `keyStride`), into `context` (`[rows × d_model]`).
    func tiledAttention(
        _ qkv: UnsafePointer<Float>, rows: Int, firstPosition: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>,
        keyStride: Int, into context: UnsafeMutablePointer<Float>
    ) {
        let d = config.dModel
        let slopes = config.alibi ? ALiBi.slopes(heads: config.nHeads, biasMax: config.alibiBiasMax).map { Float($0) } : []
        let operands = TiledAttention.Operands(
            queries: qkv, queryStride: 3 * d, keys: keys, values: values, keyStride: keyStride,
            output: context, outputStride: d)
        TiledAttention.run(
            operands, rows: rows, firstPosition: firstPosition, heads: config.nHeads, headDim: config.headDim,
            scale: Float(config.effectiveSoftmaxScale), slopes: slopes, threads: threads)
    }
}
