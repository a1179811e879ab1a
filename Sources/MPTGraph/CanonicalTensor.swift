/// One weight of an MPT model, independent of how any file names it.
///
/// `name` is the canonical spelling (Hugging Face `MptForCausalLM`'s state-dict names).
public enum CanonicalTensor: Hashable, Sendable, CustomStringConvertible {
    /// Whether a tensor is a weight or a bias.
    public enum Part: String, Sendable, CaseIterable { case weight, bias }

    /// The tensors inside one transformer block.
    public enum BlockTensor: String, Sendable, CaseIterable {
        case norm1 = "norm_1"
        case wqkv = "attn.Wqkv"
        case qNorm = "attn.q_ln"
        case kNorm = "attn.k_ln"
        case outProj = "attn.out_proj"
        case norm2 = "norm_2"
        case upProj = "ffn.up_proj"
        case downProj = "ffn.down_proj"

        /// True for LayerNorms (1-D weight of size d_model).
        public var isNorm: Bool { self == .norm1 || self == .norm2 || self == .qNorm || self == .kNorm }
    }

    /// `transformer.wte.weight` — [vocab, d_model].
    case tokenEmbedding
    /// `transformer.wpe.weight` — [max_seq_len, d_model], only with learned positions.
    case positionEmbedding
    /// `transformer.blocks.N.<tensor>.<part>`.
    case block(Int, BlockTensor, Part)
    /// `transformer.norm_f.<part>`.
    case finalNorm(Part)
    /// `lm_head.weight` — [vocab, d_model], only when untied.
    case lmHead

    /// Canonical state-dict name.
    public var name: String {
        switch self {
        case .tokenEmbedding: return "transformer.wte.weight"
        case .positionEmbedding: return "transformer.wpe.weight"
        case let .block(index, tensor, part): return "transformer.blocks.\(index).\(tensor.rawValue).\(part.rawValue)"
        case let .finalNorm(part): return "transformer.norm_f.\(part.rawValue)"
        case .lmHead: return "lm_head.weight"
        }
    }

    public var description: String { name }

    /// The expected shape of this tensor under `config`.
    public func expectedShape(_ config: MPTConfig) -> [Int] {
        let d = config.dModel
        switch self {
        case .tokenEmbedding, .lmHead: return [config.vocabSize, d]
        case .positionEmbedding: return [config.maxSeqLen, d]
        case .finalNorm: return [d]
        case let .block(_, tensor, part):
            switch (tensor, part) {
            case (.norm1, _), (.norm2, _), (.qNorm, _), (.kNorm, _): return [d]
            case (.wqkv, .weight): return [3 * d, d]
            case (.wqkv, .bias): return [3 * d]
            case (.outProj, .weight): return [d, d]
            case (.outProj, .bias): return [d]
            case (.upProj, .weight): return [config.ffnHiddenSize, d]
            case (.upProj, .bias): return [config.ffnHiddenSize]
            case (.downProj, .weight): return [d, config.ffnHiddenSize]
            case (.downProj, .bias): return [d]
            }
        }
    }

    /// Every tensor an MPT model with `config` must have, in a stable order.
    public static func all(for config: MPTConfig) -> [CanonicalTensor] {
        var result: [CanonicalTensor] = [.tokenEmbedding]
        if config.learnedPositionEmbedding { result.append(.positionEmbedding) }
        let parts: [Part] = config.noBias ? [.weight] : [.weight, .bias]
        for index in 0..<config.nLayers {
            for tensor in BlockTensor.allCases {
                if (tensor == .qNorm || tensor == .kNorm) && !config.qkLayerNorm { continue }
                for part in parts { result.append(.block(index, tensor, part)) }
            }
        }
        for part in parts { result.append(.finalNorm(part)) }
        if !config.tiedEmbeddings { result.append(.lmHead) }
        return result
    }
}
