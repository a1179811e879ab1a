import Dispatch
import MPTCore
import MPTGraph

/// The MPT forward pass on the CPU: token ids → hidden states → logits, with the semantics of
/// Hugging Face `MptForCausalLM` (plus MosaicML llm-foundry's biases, `qk_ln`, learned positions
/// and `logit_scale`).
///
/// Per block: `h = LN₁(x)`; `qkv = h·Wqkvᵀ (+b)`, clamped to `±clip_qkv`; `q`, `k` optionally
/// LayerNormed over the full `d_model`; per head `softmax(q·kᵀ·scale + alibi, causal)·v`;
/// `x += out_proj(…)`; `x += down(gelu(up(LN₂(x))))`. Then `LN_f` and the (tied) head.
///
/// Weights are requested from the provider tensor by tensor as each step needs them. The `Float`
/// path reads each weight matrix in place, in its stored format (`MPTForward+InPlace.swift`),
/// and gathers only the embedding rows of the tokens; the `Double` path (the exact reference)
/// decodes each weight whole and drops it when the step is done. `logits(tokens:)` returns all
/// `[tokens × vocab]` logits; `hiddenStates` + `LogitHead` hand them out row block by row block
/// (`MPTForward+Head.swift`) so a long sequence never holds them all.
public struct MPTForward: Sendable {
    /// The model's hyper-parameters.
    public let config: MPTConfig
    /// Where the weights come from.
    public let weights: any WeightProvider
    /// Worker threads for the products and attention heads.
    public var threads: Int
    /// Whether the `Float` path releases a weight's mapped pages once its step is done (so a
    /// pass over a large model keeps about one tensor resident). Generation turns it off: every
    /// step reads every weight again, and the mapping is then its resident copy.
    public var releasesWeightPages = true
    /// Called after each block of a full pass with the block's index (the tools' progress line);
    /// not called by generation's cached steps.
    public var onBlockDone: (@Sendable (Int) -> Void)?
    /// Called by the `Float` path with the input rows of every block linear product (calibration, `LinearInput`).
    public var onLinearInput: (@Sendable (LinearInput) -> Void)?
    /// The weights already found finite (shared by copies of this forward pass).
    let checkedWeights = CheckedWeights()

    /// Checks that `config` can be run (positive sizes, `d_model` divisible by `n_heads`), and
    /// that `MPTKIT_KERNELS`, when set, names a kernel level this CPU runs (`KernelLevelError`).
    public init(config: MPTConfig, weights: any WeightProvider, threads: Int = 2) throws {
        _ = try KernelLevel.selected()
        guard config.dModel > 0, config.nHeads > 0, config.dModel % config.nHeads == 0 else {
            throw ReferenceError.unsupportedConfig("d_model \(config.dModel) is not a positive multiple of n_heads \(config.nHeads)")
        }
        guard config.nLayers >= 0, config.ffnHiddenSize > 0, config.vocabSize > 0 else {
            throw ReferenceError.unsupportedConfig(
                "n_layers \(config.nLayers), ffn size \(config.ffnHiddenSize), vocab \(config.vocabSize)")
        }
        self.config = config
        self.weights = weights
        self.threads = max(1, threads)
    }

    /// Logits in `Float`, row-major `[tokens.count × vocabSize]`.
    public func logits(tokens: [Int]) throws -> [Float] {
        try run(tokens: tokens, as: Float.self)
    }

    /// Logits computed entirely in `Double` (the exact reference; several times slower).
    public func logitsDouble(tokens: [Int]) throws -> [Double] {
        try run(tokens: tokens, as: Double.self)
    }

    /// The forward pass in element type `T`: all `[tokens × vocab]` logits at once (small
    /// inputs, tests and the exact reference; long inputs stream them through `LogitHead`).
    public func run<T: ForwardScalar>(tokens: [Int], as type: T.Type) throws -> [T] {
        let hidden = try hiddenStates(tokens: tokens, as: type)
        let logits = ScratchBuffer<T>(count: hidden.rows * config.vocabSize)
        let normed = ScratchBuffer<T>(count: hidden.rows * config.dModel)
        let scratch = DecodeScratch(depth: T.self == Float.self ? config.dModel : 0, threads: threads)
        try hidden.values.withUnsafeBufferPointer { states in
            guard let base = states.baseAddress else { return }
            try head(base, rows: hidden.rows, normed: normed.pointer, scratch: scratch, into: logits.pointer)
        }
        return logits.array
    }

    /// `logit_scale · LN_f(x)·Wᵀ` for `rows` rows of `x` (`[rows × d_model]`) into `output`
    /// (`[rows × vocab]`), with the tied embedding or `lm_head` as `W` (in `Float` read in place,
    /// tile by tile over the vocabulary); `normed` holds at least `rows × d_model` elements.
    func head<T: ForwardScalar>(
        _ input: UnsafePointer<T>, rows: Int, normed: UnsafeMutablePointer<T>, scratch: DecodeScratch, into output: UnsafeMutablePointer<T>
    ) throws {
        let d = config.dModel
        try layerNorm(input, inputStride: d, into: normed, outputStride: d, rows: rows, .finalNorm(.weight))
        let head: CanonicalTensor = config.tiedEmbeddings ? .tokenEmbedding : .lmHead
        if T.self == Float.self {
            try multiplyInPlace(
                head, rows: rows, outputSize: config.vocabSize, inputSize: d, input: UnsafeRawPointer(normed).assumingMemoryBound(to: Float.self),
                bias: nil, output: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self), scratch: scratch)
        } else {
            try withWeight(head, as: T.self) { weight in
                T.multiplyTransposed(
                    rows: rows, columns: config.vocabSize, depth: d, a: UnsafePointer(normed), lda: d, b: weight, ldb: d,
                    bias: nil, c: output, ldc: config.vocabSize, threads: threads)
            }
        }
        if let scale = config.logitScale {
            let factor = T(scale)
            for index in 0..<(rows * config.vocabSize) { output[index] *= factor }
        }
    }

    /// `head` of `rows` rows into a new array, with the buffers of a block (generation's last row).
    func headLogits<T: ForwardScalar>(_ input: UnsafePointer<T>, rows: Int, buffers: BlockBuffers<T>) throws -> [T] {
        let logits = ScratchBuffer<T>(count: rows * config.vocabSize)
        try head(input, rows: rows, normed: buffers.normed.pointer, scratch: buffers.scratch, into: logits.pointer)
        return logits.array
    }

    /// `x = wte[tokens] (+ wpe[positions])`, the tokens at positions `firstPosition…`: only
    /// those rows of the tables are read (and checked to be finite).
    func embed<T: ForwardScalar>(_ tokens: [Int], firstPosition: Int = 0, into state: ScratchBuffer<T>) throws {
        try gatherRows(.tokenEmbedding, tokens, into: state, replace: true)
        guard config.learnedPositionEmbedding else { return }
        try gatherRows(.positionEmbedding, tokens.indices.map { firstPosition + $0 }, into: state, replace: false)
    }
}

/// The activations one block needs, and the kernels' decode panels, allocated once per forward pass.
final class BlockBuffers<T: ForwardScalar>: Sendable {
    let scratch: DecodeScratch
    let normed: ScratchBuffer<T>
    let qkv: ScratchBuffer<T>
    let context: ScratchBuffer<T>
    let hidden: ScratchBuffer<T>
    let projected: ScratchBuffer<T>

    init(length: Int, config: MPTConfig, threads: Int) {
        scratch = DecodeScratch(depth: T.self == Float.self ? max(config.dModel, config.ffnHiddenSize) : 0, threads: threads)
        normed = ScratchBuffer(count: length * config.dModel)
        qkv = ScratchBuffer(count: length * 3 * config.dModel)
        context = ScratchBuffer(count: length * config.dModel)
        hidden = ScratchBuffer(count: length * config.ffnHiddenSize)
        projected = ScratchBuffer(count: length * config.dModel)
    }
}
