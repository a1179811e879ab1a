/// How a checkpoint spells its tensor names.
public struct NamingScheme: Sendable, Equatable, CustomStringConvertible {
    /// The layer-name dialect.
    public enum Dialect: String, Sendable {
        /// MosaicML `mpt` and HF `MptForCausalLM`: `norm_1`, `attn.Wqkv`, `ffn.up_proj`, `norm_f`.
        case mpt
        /// MosaicGPT (MPT-1b-RedPajama): `ln_1`, `mlp.mlp_up`, `ln_f`.
        case mosaicGPT = "mosaic-gpt"
        /// llama.cpp GGUF: `token_embd`, `blk.N.attn_qkv`, `output_norm` (see `GGUFNaming`).
        case gguf
    }

    /// The layer-name dialect.
    public var dialect: Dialect
    /// A prefix in front of every name (`model.` for Composer / llm-foundry checkpoints), or "".
    public var prefix: String

    public var description: String {
        prefix.isEmpty ? dialect.rawValue : "\(dialect.rawValue) with '\(prefix)' prefix (Composer)"
    }

    /// Pieces of a MosaicGPT name and their canonical spelling.
    static let mosaicGPTRenames: [(from: String, to: String)] = [
        (".ln_1.", ".norm_1."), (".ln_2.", ".norm_2."),
        (".mlp.mlp_up.", ".ffn.up_proj."), (".mlp.mlp_down.", ".ffn.down_proj."),
        ("transformer.ln_f.", "transformer.norm_f."),
    ]

    /// Guesses the scheme from the tensor names.
    public static func detect(names: [String]) -> NamingScheme {
        if GGUFNaming.matches(names: names) { return NamingScheme(dialect: .gguf, prefix: "") }
        let prefix = names.contains { $0.hasPrefix("model.transformer.") } ? "model." : ""
        let mosaic = names.contains { $0.contains(".ln_1.") || $0.contains(".mlp.mlp_up.") || $0.contains("transformer.ln_f.") }
        return NamingScheme(dialect: mosaic ? .mosaicGPT : .mpt, prefix: prefix)
    }

    /// The canonical spelling of a file's tensor name under this scheme.
    public func canonicalName(for fileName: String) -> String {
        if dialect == .gguf { return GGUFNaming.canonical(forGGUFName: fileName)?.name ?? fileName }
        var name = fileName
        if !prefix.isEmpty, name.hasPrefix(prefix) { name.removeFirst(prefix.count) }
        if dialect == .mosaicGPT {
            for (from, to) in Self.mosaicGPTRenames {
                if let range = name.firstRange(of: from) { name.replaceSubrange(range, with: to) }
            }
        }
        return name
    }
}
