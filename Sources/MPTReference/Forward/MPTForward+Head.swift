import MPTGraph

/// The output of a forward pass before its head: the residual stream after the last block,
/// `[rows × d_model]` row-major (one or several sequences of equal length, one after another).
/// `LogitHead` turns row blocks of it into logits, so no `[rows × vocab]` array is ever needed.
public struct HiddenStates<T: ForwardScalar>: Sendable {
    /// Rows (positions, all sequences together).
    public let rows: Int
    /// Positions per sequence (`rows` for a single sequence).
    public let sequenceLength: Int
    /// `[rows × d_model]`.
    let values: [T]
}

extension MPTForward {
    /// The hidden states of `tokens` (every block run; the head not yet applied).
    public func hiddenStates<T: ForwardScalar>(tokens: [Int], as _: T.Type = Float.self) throws -> HiddenStates<T> {
        try validate(tokens, firstPosition: 0)
        let state = ScratchBuffer<T>(count: tokens.count * config.dModel)
        try embed(tokens, into: state)
        try runBlocks(state: state, sequences: 1)
        return HiddenStates(rows: tokens.count, sequenceLength: tokens.count, values: state.array)
    }

    /// The hidden states of several independent sequences of one length, run together: each
    /// block's weights are read once for all of them (layer-major), attention stays within each
    /// sequence. Row `s · length + p` is position `p` of `sequences[s]`, equal bit for bit to
    /// `hiddenStates(tokens: sequences[s])`'s row `p`.
    public func hiddenStates(sequences: [[Int]]) throws -> HiddenStates<Float> {
        guard let length = sequences.first?.count, sequences.allSatisfy({ $0.count == length }) else {
            throw ReferenceError.sizeMismatch("batched forward: \(sequences.count) sequences of different lengths (or none)")
        }
        for sequence in sequences { try validate(sequence, firstPosition: 0) }
        let d = config.dModel
        let state = ScratchBuffer<Float>(count: sequences.count * length * d)
        try gatherRows(.tokenEmbedding, sequences.flatMap { $0 }, into: state, replace: true)
        if config.learnedPositionEmbedding {
            try gatherRows(.positionEmbedding, sequences.flatMap { $0.indices }, into: state, replace: false)
        }
        try runBlocks(state: state, sequences: sequences.count)
        return HiddenStates(rows: sequences.count * length, sequenceLength: length, values: state.array)
    }

    /// The checks of a full pass: a length within the model's limit, every id inside the vocabulary.
    func validate(_ tokens: [Int], firstPosition: Int) throws {
        let length = tokens.count
        let limit = config.learnedPositionEmbedding ? config.maxSeqLen : Int.max
        guard length > 0, length <= limit else { throw ReferenceError.badSequenceLength(length, limit: limit) }
        for (position, token) in tokens.enumerated() where token < 0 || token >= config.vocabSize {
            throw ReferenceError.tokenOutOfRange(position: firstPosition + position, token: token, vocabSize: config.vocabSize)
        }
    }

    /// Every block over `state` (`sequences` equal-length sequences), with `onBlockDone` after each.
    func runBlocks<T: ForwardScalar>(state: ScratchBuffer<T>, sequences: Int) throws {
        let buffers = BlockBuffers<T>(length: state.count / config.dModel, config: config, threads: threads)
        for layer in 0..<config.nLayers {
            try runBlock(layer, state: state, buffers: buffers, sequences: sequences)
            onBlockDone?(layer)
        }
    }
}

/// The head of a forward pass over its `HiddenStates`, applied to one row block at a time:
/// `logit_scale · LN_f(x)·Wᵀ` (the tied embedding or `lm_head`, read in place tile by tile over
/// the vocabulary, its pages released after each block unless the forward keeps them). Each
/// block's logits equal those rows of the whole `[rows × vocab]` product bit for bit (a block
/// is never cut to the few-rows kernel when the whole pass would not be). Buffers of
/// `blockRows × vocab` are allocated once.
public final class LogitHead<T: ForwardScalar> {
    /// The forward pass whose head this is.
    public let forward: MPTForward
    /// The hidden states it reads.
    public let hidden: HiddenStates<T>
    /// Rows per block of `rowBlocks` (the last one up to 1.5× as long: a short tail is merged).
    public let blockRows: Int
    private let normed: ScratchBuffer<T>
    private let scratch: DecodeScratch
    private let logits: ScratchBuffer<T>

    /// Default rows per block: 128 (the kernels' row group; 128 × vocab 50432 floats = 26 MB).
    public static var defaultBlockRows: Int { 128 }

    public init(_ forward: MPTForward, _ hidden: HiddenStates<T>, blockRows: Int = LogitHead.defaultBlockRows) {
        self.forward = forward
        self.hidden = hidden
        // The Double path computes all rows at once, as it always did (it decodes the head whole).
        let rows = T.self == Float.self ? min(hidden.rows, max(blockRows, MatrixMultiply.fewRowsLimit + 1)) : hidden.rows
        self.blockRows = rows
        let longest = min(hidden.rows, 2 * rows)  // a merged tail may make one block longer
        normed = ScratchBuffer(count: longest * forward.config.dModel)
        scratch = DecodeScratch(depth: T.self == Float.self ? forward.config.dModel : 0, threads: forward.threads)
        logits = ScratchBuffer(count: longest * forward.config.vocabSize)
    }

    /// `range` (default: every row) cut into consecutive blocks of `blockRows`, a short tail
    /// merged into the block before it so that no block takes the few-rows kernel unless the
    /// whole range would.
    public func rowBlocks(_ range: Range<Int>? = nil) -> [Range<Int>] {
        let range = range ?? 0..<hidden.rows
        var blocks: [Range<Int>] = []
        var start = range.lowerBound
        while start < range.upperBound {
            var end = min(range.upperBound, start + blockRows)
            if range.upperBound - end < blockRows / 2 { end = range.upperBound }  // no block of ≤ fewRowsLimit rows
            blocks.append(start..<end)
            start = end
        }
        return blocks
    }

    /// Lends `body` the logits of `rows` (`[rows.count × vocab]`, valid only inside `body`).
    /// At most `2 · blockRows` rows at a time; fewer rows than the few-rows limit are computed
    /// inside a wider block (so they equal the whole pass's rows).
    public func withLogits<R>(rows: Range<Int>, _ body: (UnsafeBufferPointer<T>) throws -> R) throws -> R {
        let vocab = forward.config.vocabSize
        guard rows.lowerBound >= 0, rows.upperBound <= hidden.rows, rows.count <= logits.count / vocab else {
            throw ReferenceError.sizeMismatch("logit rows \(rows) of \(hidden.rows) in blocks of \(blockRows)")
        }
        var computed = rows
        let widest = MatrixMultiply.fewRowsLimit + 1
        if computed.count < widest && hidden.rows >= widest {
            let start = min(computed.lowerBound, hidden.rows - widest)
            computed = start..<max(computed.upperBound, start + widest)
        }
        try hidden.values.withUnsafeBufferPointer { states in
            guard let base = states.baseAddress else { return }
            try forward.head(base + computed.lowerBound * forward.config.dModel, rows: computed.count, normed: normed.pointer, scratch: scratch, into: logits.pointer)
        }
        let offset = (rows.lowerBound - computed.lowerBound) * vocab
        return try body(UnsafeBufferPointer(start: logits.readOnly + offset, count: rows.count * vocab))
    }
}
