import MPTFormats

extension MPTConfig {
    /// A `config.json` for the normalized model in Hugging Face `MptForCausalLM` form, which our
    /// readers and transformers both load (transformers ignores biases/qk_ln it does not implement,
    /// so such models round-trip through MPTKit only). `extra` members are appended (e.g.
    /// `quantization_config`).
    public func huggingFaceJSON(torchDtype: String, extra: [(key: String, value: JSONValue)] = []) -> JSONValue {
        var attention: [(key: String, value: JSONValue)] = [
            ("alibi", .bool(alibi)),
            ("alibi_bias_max", .double(alibiBiasMax)),
            ("attn_type", .string("multihead_attention")),
            ("clip_qkv", clipQKV.map(JSONValue.double) ?? .null),
            ("prefix_lm", .bool(false)),
            ("qk_ln", .bool(qkLayerNorm)),
            ("softmax_scale", softmaxScale.map(JSONValue.double) ?? .null),
        ]
        attention.sort { $0.key < $1.key }
        var members: [(key: String, value: JSONValue)] = [
            ("architectures", .array([.string("MptForCausalLM")])),
            ("attn_config", .object(attention)),
            ("d_model", .int(dModel)),
            ("expansion_ratio", ffnHiddenSize % dModel == 0 ? .int(ffnHiddenSize / dModel) : .double(Double(ffnHiddenSize) / Double(dModel))),
            ("ffn_config", .object([("ffn_hidden_size", .int(ffnHiddenSize)), ("ffn_type", .string("mptmlp"))])),
            ("layer_norm_epsilon", .double(layerNormEpsilon)),
            ("learned_pos_emb", .bool(learnedPositionEmbedding)),
            ("logit_scale", logitScale.map(JSONValue.double) ?? .null),
            ("max_seq_len", .int(maxSeqLen)),
            ("model_type", .string("mpt")),
            ("n_heads", .int(nHeads)),
            ("n_layers", .int(nLayers)),
            ("no_bias", .bool(noBias)),
            ("norm_type", .string("low_precision_layernorm")),
            ("tie_word_embeddings", .bool(tiedEmbeddings)),
            ("torch_dtype", .string(torchDtype)),
            ("vocab_size", .int(vocabSize)),
        ]
        members.append(contentsOf: extra)
        return .object(members)
    }
}
