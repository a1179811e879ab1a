import MPTFormats

extension MPTConfig {
    /// A `config.json` for the normalized model in Hugging Face `MptForCausalLM` form, which our
    /// readers and transformers both load (transformers ignores biases/qk_ln it does not implement,
    /// so such models round-trip through MPTKit only). `extra` members are appended (e.g.
    /// `quantization_config`).
    ///
    /// Each member has the JSON type transformers' `MptConfig` / `MptAttentionConfig` declare
    /// (`Fixtures/goldens/config_types/mpt_config_types.json`): transformers 5 validates them
    /// strictly, so integers are written as integers (`alibi_bias_max: 8`, not `8.0`) and floats
    /// always with a fraction or exponent. The one exception is a value no integer can hold (a
    /// fractional `alibi_bias_max` or expansion ratio, possible only from other checkpoint
    /// forms): it is written as the float it is rather than silently rounded.
    public func huggingFaceJSON(torchDtype: String, extra: [(key: String, value: JSONValue)] = []) -> JSONValue {
        var attention: [(key: String, value: JSONValue)] = [
            ("alibi", .bool(alibi)),
            ("alibi_bias_max", Self.integerIfWhole(alibiBiasMax)),
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
            ("ffn_config", .object(ffnConfigMembers)),
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

    /// An integer JSON number when `value` is whole (and fits), else a float.
    static func integerIfWhole(_ value: Double) -> JSONValue {
        guard value.rounded() == value, let whole = Int(exactly: value) else { return .double(value) }
        return .int(whole)
    }
}

extension MPTConfig {
    /// llm-foundry's `ffn_config`; the activation is written only when it is not the exact GELU
    /// (transformers ignores `ffn_config`, llm-foundry reads it).
    var ffnConfigMembers: [(key: String, value: JSONValue)] {
        var members: [(key: String, value: JSONValue)] = [("ffn_hidden_size", .int(ffnHiddenSize)), ("ffn_type", .string("mptmlp"))]
        if geluApproximation != .none {
            members.append(("ffn_act_fn", .object([("name", .string("gelu")), ("approximate", .string(geluApproximation.rawValue))])))
        }
        return members
    }
}
