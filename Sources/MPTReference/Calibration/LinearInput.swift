import MPTGraph

/// The input of one block linear product as the `Float` forward pass runs it: `rows` rows of
/// `columns` activations, row-major — the rows that block `layer`'s weight `tensor`
/// (`[outputs × columns]`) multiplies. `values` is valid only during the observer's call.
public struct LinearInput: @unchecked Sendable {
    /// The block.
    public let layer: Int
    /// The weight: `.wqkv`, `.outProj`, `.upProj` or `.downProj`.
    public let tensor: CanonicalTensor.BlockTensor
    /// `rows × columns` activations.
    public let values: UnsafePointer<Float>
    /// Token rows in this product.
    public let rows: Int
    /// The weight's input size.
    public let columns: Int
}

extension MPTForward {
    /// Hands the input of block `layer`'s `tensor` product to `onLinearInput` (the `Float` path
    /// only; nothing when no observer is set).
    func observeLinearInput<T: ForwardScalar>(
        _ layer: Int, _ tensor: CanonicalTensor.BlockTensor, _ input: UnsafePointer<T>, rows: Int
    ) {
        guard let onLinearInput, T.self == Float.self else { return }
        let columns = CanonicalTensor.block(layer, tensor, .weight).expectedShape(config)[1]
        let values = UnsafeRawPointer(input).assumingMemoryBound(to: Float.self)
        onLinearInput(LinearInput(layer: layer, tensor: tensor, values: values, rows: rows, columns: columns))
    }

    /// The blocks of a `Float` pass over `tokens`, without the final norm and head (a
    /// calibration run observes the block inputs and needs no logits).
    public func runBlocks(tokens: [Int]) throws {
        let length = tokens.count
        let limit = config.learnedPositionEmbedding ? config.maxSeqLen : Int.max
        guard length > 0, length <= limit else { throw ReferenceError.badSequenceLength(length, limit: limit) }
        for (position, token) in tokens.enumerated() where token < 0 || token >= config.vocabSize {
            throw ReferenceError.tokenOutOfRange(position: position, token: token, vocabSize: config.vocabSize)
        }
        let state = ScratchBuffer<Float>(count: length * config.dModel)
        try embed(tokens, into: state)
        let buffers = BlockBuffers<Float>(length: length, config: config, threads: threads)
        for layer in 0..<config.nLayers {
            try runBlock(layer, state: state, buffers: buffers)
            onBlockDone?(layer)
        }
    }
}
