import MPTFormats

extension MPTConfig {
    /// Normalizes any MPT config dialect. Options that change the math and that MPTKit does not
    /// implement are reported by name (`unsupportedOption`), never ignored.
    public static func normalize(_ json: JSONValue) throws -> (config: MPTConfig, flavour: ConfigFlavour) {
        guard json.objectMembers != nil else { throw GraphError.configNotObject }
        let top = ConfigReader(object: json, prefix: "")
        let modelType = try top.string("model_type")
        let architectures = json["architectures"]?.arrayValue?.compactMap(\.stringValue) ?? []
        let flavour: ConfigFlavour
        switch modelType {
        case "mosaic_gpt": flavour = .mosaicGPT
        case "mpt": flavour = architectures.contains("MptForCausalLM") ? .huggingFace : .mosaicMPT
        case nil:
            guard top.has("d_model"), top.has("n_heads") else { throw GraphError.missingKey("model_type") }
            flavour = top.has("attn_config") ? .mosaicMPT : .mosaicGPT
        case let other?:
            throw GraphError.notMPT("model_type is '\(other)'")
        }
        let config = flavour == .mosaicGPT ? try mosaicGPT(top) : try mpt(top, flavour: flavour)
        try config.validate()
        return (config, flavour)
    }

    private static func mpt(_ top: ConfigReader, flavour: ConfigFlavour) throws -> MPTConfig {
        let dModel = try top.requiredInt("d_model")
        let attention = try top.nested("attn_config") ?? ConfigReader(object: .object([]), prefix: "attn_config")
        // HF's MptAttentionConfig defaults alibi to true; llm-foundry's to false.
        let alibi = try attention.bool("alibi") ?? (flavour == .huggingFace)
        if let kind = try attention.string("attn_type"), kind != "multihead_attention" {
            let kvHeads = try attention.int("kv_n_heads")
            let heads = try top.int("n_heads")
            if !(kind == "grouped_query_attention" && kvHeads != nil && kvHeads == heads) {
                throw GraphError.unsupportedOption(key: "attn_config.attn_type", value: kind)
            }
        }
        try rejectIfTrue(attention, "rope")
        try rejectIfTrue(attention, "prefix_lm")
        try rejectIfTrue(attention, "qk_gn")
        if let window = try attention.int("sliding_window_size"), window != -1 {
            throw GraphError.unsupportedOption(key: "attn_config.sliding_window_size", value: String(window))
        }
        var ffnHidden: Int?
        var approximation = GELUApproximation.none
        if let ffn = try top.nested("ffn_config") {
            if let kind = try ffn.string("ffn_type"), kind != "mptmlp" {
                throw GraphError.unsupportedOption(key: "ffn_config.ffn_type", value: kind)
            }
            if let act = try ffn.nested("ffn_act_fn"), let name = try act.string("name"), name != "gelu" {
                throw GraphError.unsupportedOption(key: "ffn_config.ffn_act_fn.name", value: name)
            }
            if let act = try ffn.nested("ffn_act_fn"), let value = try act.string("approximate") {
                guard let parsed = GELUApproximation(rawValue: value) else {
                    throw GraphError.unsupportedOption(key: "ffn_config.ffn_act_fn.approximate", value: value)
                }
                approximation = parsed
            }
            ffnHidden = try ffn.int("ffn_hidden_size")
        }
        if let fcType = top.object["fc_type"], let name = fcType.stringValue ?? fcType["name"]?.stringValue, name != "torch" {
            throw GraphError.unsupportedOption(key: "fc_type", value: name)
        }
        try checkNormType(top)
        let expansion = try top.double("expansion_ratio") ?? 4
        if ffnHidden == nil {
            let product = Double(dModel) * expansion
            guard product.isFinite, product >= 1, product < Double(Int32.max) else {
                throw GraphError.invalidValue(key: "expansion_ratio", problem: "gives an MLP size out of range")
            }
            ffnHidden = Int(product)
        }
        let learnedPositions = try top.bool("learned_pos_emb") ?? true
        return MPTConfig(
            dModel: dModel,
            nHeads: try top.requiredInt("n_heads"),
            nLayers: try top.requiredInt("n_layers"),
            ffnHiddenSize: ffnHidden ?? 4 * dModel,
            maxSeqLen: try top.int("max_seq_len") ?? 2048,
            vocabSize: try top.requiredInt("vocab_size"),
            layerNormEpsilon: try top.double("layer_norm_epsilon") ?? 1e-5,
            noBias: try top.bool("no_bias") ?? (flavour == .huggingFace),
            alibi: alibi,
            alibiBiasMax: try attention.double("alibi_bias_max") ?? 8,
            clipQKV: try attention.double("clip_qkv"),
            softmaxScale: try attention.double("softmax_scale"),
            qkLayerNorm: try attention.bool("qk_ln") ?? false,
            logitScale: try logitScale(top, dModel: dModel),
            learnedPositionEmbedding: !alibi && learnedPositions,
            tiedEmbeddings: try top.bool("tie_word_embeddings") ?? true,
            geluApproximation: approximation)
    }

    private static func mosaicGPT(_ top: ConfigReader) throws -> MPTConfig {
        let dModel = try top.requiredInt("d_model")
        let alibi = try top.bool("alibi") ?? false
        try rejectIfTrue(top, "prefix_lm")
        let ratio = try top.double("mlp_ratio") ?? 4
        let hidden = Double(dModel) * ratio
        guard hidden.isFinite, hidden >= 1, hidden < Double(Int32.max) else {
            throw GraphError.invalidValue(key: "mlp_ratio", problem: "gives an MLP size out of range")
        }
        return MPTConfig(
            dModel: dModel,
            nHeads: try top.requiredInt("n_heads"),
            nLayers: try top.requiredInt("n_layers"),
            ffnHiddenSize: Int(hidden),
            maxSeqLen: try top.int("max_seq_len") ?? 2048,
            vocabSize: try top.requiredInt("vocab_size"),
            layerNormEpsilon: try top.double("layer_norm_epsilon") ?? 1e-5,
            noBias: try top.bool("no_bias") ?? false,
            alibi: alibi,
            alibiBiasMax: try top.double("alibi_bias_max") ?? 8,
            clipQKV: try top.double("attn_clip_qkv"),
            softmaxScale: try top.double("softmax_scale"),
            qkLayerNorm: try top.bool("attn_qk_ln") ?? false,
            logitScale: try logitScale(top, dModel: dModel),
            learnedPositionEmbedding: !alibi,
            tiedEmbeddings: true)
    }

    private static func rejectIfTrue(_ reader: ConfigReader, _ key: String) throws {
        if try reader.bool(key) == true { throw GraphError.unsupportedOption(key: reader.path(key), value: "true") }
    }

    private static func checkNormType(_ top: ConfigReader) throws {
        guard let norm = try top.string("norm_type") else { return }
        let supported = ["low_precision_layernorm", "layernorm"]
        if !supported.contains(norm.lowercased()) { throw GraphError.unsupportedOption(key: "norm_type", value: norm) }
    }

    private static func logitScale(_ top: ConfigReader, dModel: Int) throws -> Double? {
        guard let value = top.object["logit_scale"], !value.isNull else { return nil }
        if let text = value.stringValue {
            guard text == "inv_sqrt_d_model" else { throw GraphError.unsupportedOption(key: "logit_scale", value: text) }
            return 1 / Double(dModel).squareRoot()
        }
        guard let number = value.doubleValue, number.isFinite else {
            throw GraphError.wrongType(key: "logit_scale", expected: "a number or \"inv_sqrt_d_model\"", found: value.typeName)
        }
        return number
    }

    /// Checks relations between fields (heads divide d_model, sizes in range).
    public func validate() throws {
        guard dModel % nHeads == 0 else {
            throw GraphError.invalidValue(key: "n_heads", problem: "(\(nHeads)) must divide d_model (\(dModel))")
        }
        let limit = 1 << 24
        for (key, value) in [("d_model", dModel), ("n_layers", nLayers), ("vocab_size", vocabSize), ("max_seq_len", maxSeqLen), ("ffn hidden size", ffnHiddenSize)] {
            guard value > 0, value <= limit else {
                throw GraphError.invalidValue(key: key, problem: "is \(value), outside 1…\(limit)")
            }
        }
        guard nLayers <= 1024 else { throw GraphError.invalidValue(key: "n_layers", problem: "is \(nLayers), more than 1024") }
        guard layerNormEpsilon >= 0 else { throw GraphError.invalidValue(key: "layer_norm_epsilon", problem: "is negative") }
        if let clip = clipQKV, clip <= 0 { throw GraphError.invalidValue(key: "clip_qkv", problem: "must be positive") }
    }
}
