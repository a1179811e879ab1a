import MPTFormats

/// llama.cpp's metadata keys for the `mpt` architecture (`LLM_KV_*` in llama-arch.cpp).
public enum MPTGGUFKey {
    /// `general.architecture`, which must be `mpt`.
    public static let architecture = "general.architecture"
    /// The architecture name llama.cpp registers for MPT.
    public static let architectureName = "mpt"
    public static let contextLength = "mpt.context_length"
    public static let embeddingLength = "mpt.embedding_length"
    public static let blockCount = "mpt.block_count"
    public static let feedForwardLength = "mpt.feed_forward_length"
    public static let headCount = "mpt.attention.head_count"
    public static let headCountKV = "mpt.attention.head_count_kv"
    public static let layerNormEpsilon = "mpt.attention.layer_norm_epsilon"
    public static let clampKQV = "mpt.attention.clamp_kqv"
    public static let maxAlibiBias = "mpt.attention.max_alibi_bias"
    public static let vocabSize = "mpt.vocab_size"
}

extension MPTConfig {
    /// The hyper-parameters of a llama.cpp `mpt` GGUF file: sizes from the `mpt.*` keys, the
    /// vocabulary from `token_embd.weight`, and the optional parts from which tensors exist
    /// (`blk.0.attn_q_norm.weight` → qk_ln, `blk.0.attn_qkv.bias` → biases, `position_embd.weight`
    /// → learned positions, `output.weight` → untied head). llama.cpp has no softmax or logit
    /// scale for MPT, so those are the defaults.
    public init(gguf: GGUFFile) throws {
        guard let architecture = gguf[MPTGGUFKey.architecture]?.stringValue else {
            throw GraphError.missingKey(MPTGGUFKey.architecture)
        }
        guard architecture == MPTGGUFKey.architectureName else {
            throw GraphError.notMPT("\(MPTGGUFKey.architecture) is '\(architecture.prefix(40))'")
        }
        let heads = try Self.ggufInt(gguf, MPTGGUFKey.headCount)
        if let kvHeads = gguf[MPTGGUFKey.headCountKV], kvHeads.intValue != heads {
            throw GraphError.unsupportedOption(key: MPTGGUFKey.headCountKV, value: kvHeads.intValue.map(String.init) ?? "\(kvHeads.type)")
        }
        guard let embedding = gguf.tensor(named: "token_embd.weight") else { throw GraphError.missingTensor("token_embd.weight") }
        guard embedding.dims.count == 2, let vocab = embedding.rowMajorDims.first else {
            throw GraphError.wrongShape(tensor: "token_embd.weight", expected: [-1, -1], found: embedding.rowMajorDims)
        }
        guard let epsilon = try Self.ggufDouble(gguf, MPTGGUFKey.layerNormEpsilon) else {
            throw GraphError.missingKey(MPTGGUFKey.layerNormEpsilon)
        }
        let clamp = try Self.ggufDouble(gguf, MPTGGUFKey.clampKQV) ?? 0
        let alibiMax = try Self.ggufDouble(gguf, MPTGGUFKey.maxAlibiBias) ?? 0
        self.init(
            dModel: try Self.ggufInt(gguf, MPTGGUFKey.embeddingLength),
            nHeads: heads,
            nLayers: try Self.ggufInt(gguf, MPTGGUFKey.blockCount),
            ffnHiddenSize: try Self.ggufInt(gguf, MPTGGUFKey.feedForwardLength),
            maxSeqLen: try Self.ggufInt(gguf, MPTGGUFKey.contextLength),
            vocabSize: vocab,
            layerNormEpsilon: epsilon,
            noBias: gguf.tensor(named: "blk.0.attn_qkv.bias") == nil,
            alibi: alibiMax > 0,
            alibiBiasMax: alibiMax > 0 ? alibiMax : 8,
            clipQKV: clamp > 0 ? clamp : nil,
            softmaxScale: nil,
            qkLayerNorm: gguf.tensor(named: "blk.0.attn_q_norm.weight") != nil,
            logitScale: nil,
            learnedPositionEmbedding: gguf.tensor(named: "position_embd.weight") != nil,
            tiedEmbeddings: gguf.tensor(named: "output.weight") == nil)
        try validate()
    }

    private static func ggufInt(_ gguf: GGUFFile, _ key: String) throws -> Int {
        guard let value = gguf[key] else { throw GraphError.missingKey(key) }
        guard let number = value.intValue else {
            throw GraphError.wrongType(key: key, expected: "an integer", found: "\(value.type)")
        }
        guard number > 0 else { throw GraphError.invalidValue(key: key, problem: "must be positive, found \(number)") }
        return number
    }

    /// A float key; FLOAT32 values are read back as their shortest decimal (1e-5 stays 1e-5).
    private static func ggufDouble(_ gguf: GGUFFile, _ key: String) throws -> Double? {
        guard let value = gguf[key] else { return nil }
        let number: Double?
        switch value {
        case let .float32(single): number = Double(String(single))
        case let .float64(double): number = double
        default: number = nil
        }
        guard let number, number.isFinite, number >= 0 else {
            throw GraphError.wrongType(key: key, expected: "a finite non-negative float", found: "\(value.type)")
        }
        return number
    }
}
