/// llama.cpp's GGUF tensor names for the MPT architecture (`gguf-py` `MODEL_TENSORS[MPT]`,
/// `llama_model_mpt::load_arch_tensors`) and their canonical MPT counterparts.
public enum GGUFNaming {
    /// The GGUF base name (without `.weight`/`.bias`) of a block tensor.
    public static func baseName(_ tensor: CanonicalTensor.BlockTensor) -> String {
        switch tensor {
        case .norm1: return "attn_norm"
        case .wqkv: return "attn_qkv"
        case .qNorm: return "attn_q_norm"
        case .kNorm: return "attn_k_norm"
        case .outProj: return "attn_output"
        case .norm2: return "ffn_norm"
        case .upProj: return "ffn_up"
        case .downProj: return "ffn_down"
        }
    }

    /// The GGUF name of a canonical tensor, e.g. `blk.0.attn_qkv.weight`.
    public static func ggufName(for tensor: CanonicalTensor) -> String {
        switch tensor {
        case .tokenEmbedding: return "token_embd.weight"
        case .positionEmbedding: return "position_embd.weight"
        case let .block(index, kind, part): return "blk.\(index).\(baseName(kind)).\(part.rawValue)"
        case let .finalNorm(part): return "output_norm.\(part.rawValue)"
        case .lmHead: return "output.weight"
        }
    }

    /// The canonical tensor a GGUF name stands for, or `nil` when it is not an MPT tensor
    /// (for example llama.cpp's AWQ `blk.N.ffn_act.scales`).
    public static func canonical(forGGUFName name: String) -> CanonicalTensor? {
        switch name {
        case "token_embd.weight": return .tokenEmbedding
        case "position_embd.weight": return .positionEmbedding
        case "output.weight": return .lmHead
        case "output_norm.weight": return .finalNorm(.weight)
        case "output_norm.bias": return .finalNorm(.bias)
        default: break
        }
        let pieces = name.split(separator: ".", omittingEmptySubsequences: false)
        guard pieces.count == 4, pieces[0] == "blk", let index = Int(pieces[1]), index >= 0,
              String(index) == pieces[1], let part = CanonicalTensor.Part(rawValue: String(pieces[3])),
              let kind = CanonicalTensor.BlockTensor.allCases.first(where: { baseName($0) == pieces[2] }) else { return nil }
        return .block(index, kind, part)
    }

    /// True when the names look like a llama.cpp GGUF model (`token_embd.weight` or `blk.N.…`).
    public static func matches(names: [String]) -> Bool {
        names.contains { $0 == "token_embd.weight" || $0.hasPrefix("blk.") }
    }
}
