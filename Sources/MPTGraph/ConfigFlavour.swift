/// Which config dialect a model's hyper-parameters are written in.
public enum ConfigFlavour: String, Sendable, Codable {
    /// MosaicML's own `mpt` config (llm-foundry, MPT-7B/30B on the hub): `attn_config`, `expansion_ratio`.
    case mosaicMPT = "mosaicml-mpt"
    /// Hugging Face transformers' `MptForCausalLM` config (same keys, `architectures` differs).
    case huggingFace = "hf-mpt"
    /// The older `mosaic_gpt` config of MPT-1b-RedPajama: top-level `alibi`, `attn_qk_ln`, `mlp_ratio`.
    case mosaicGPT = "mosaic-gpt"
    /// No config.json: the hyper-parameters come from a GGUF file's `mpt.*` metadata.
    case gguf = "gguf-mpt"
}
