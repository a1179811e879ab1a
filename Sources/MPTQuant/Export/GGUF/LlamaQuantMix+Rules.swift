import MPTFormats

extension LlamaQuantMix {
    /// llama.cpp's `use_more_bits`: the first and last eighth of the layers, and every third
    /// layer in between, get more bits in the `_M` mixes. Integer division as in C.
    public static func useMoreBits(_ layer: Int, _ layerCount: Int) -> Bool {
        layer < layerCount / 8 || layer >= 7 * layerCount / 8 || (layer - layerCount / 8) % 3 == 2
    }

    /// Rule pieces that tests may replace to show a wrong rule fails the goldens.
    struct Rules {
        /// `use_more_bits` as the `ffn_down` rules apply it.
        var ffnDownUseMoreBits: @Sendable (Int, Int) -> Bool = LlamaQuantMix.useMoreBits
        /// `use_more_bits` as the attention-V rules apply it.
        var attentionVUseMoreBits: @Sendable (Int, Int) -> Bool = LlamaQuantMix.useMoreBits
    }

    /// `llama_tensor_get_type_impl` for arch `mpt` (no Falcon, expert or 70B branches can fire;
    /// the imatrix ones are in `ffnDownType`), starting from the file type's default type.
    static func mixType(_ tensor: Tensor, category: Category, fileType: LlamaFileType,
                        counters: inout Counters, rules: Rules) -> GGMLType {
        let base = fileType.defaultType
        if category == .output || (counters.hasTiedEmbeddings && category == .tokenEmbedding) {
            // The head (or the tied token embedding): Q8_0 when a row is not a whole number of
            // the default type's blocks, else Q6_K unless the file is Q8_0.
            // The IQ1/IQ2/IQ3_XXS files take Q5_K.
            if tensor.rowLength % base.blockSize != 0 { return .q8_0 }
            if fileType == .iq3_xxs { return .q5_K }
            return base == .q8_0 ? .q8_0 : .q6_K
        }
        switch category {
        case .tokenEmbedding:
            // Only the IQ1/IQ2/IQ3_XXS/TQ mixes change an untied token embedding.
            return fileType == .iq3_xxs ? .iq3_S : base
        case .attentionV, .attentionQKV, .attentionKVB:
            // `category_is_attn_v` catches attn_qkv here, so the later attn_qkv branch of
            // llama-quant.cpp (Q4_K for Q3_K_M…) is never reached.
            defer { counters.attentionVIndex += 1 }
            return attentionVType(base: base, fileType: fileType, counters: counters, rules: rules)
        case .ffnDown:
            defer { counters.ffnDownIndex += 1 }
            return ffnDownType(base: base, fileType: fileType, layer: counters.ffnDownIndex,
                               layerCount: counters.ffnDownCount, hasImatrix: counters.hasImatrix, rules: rules)
        case .attentionOutput:
            switch fileType {
            case .q2_k: return .q3_K
            case .q3_k_m: return .q4_K
            case .q3_k_l: return .q5_K
            case .iq3_xxs: return .iq3_S
            default: return base
            }
        case .attentionQ, .attentionK:
            return fileType == .iq3_xxs ? .iq2_S : base
        case .ffnUp:
            counters.ffnUpIndex += 1
            return base
        case .ffnGate:
            counters.ffnGateIndex += 1
            return base
        case .output, .other:
            return base
        }
    }

    private static func attentionVType(base: GGMLType, fileType: LlamaFileType, counters: Counters,
                                       rules: Rules) -> GGMLType {
        let index = counters.attentionVIndex
        let wideGQA = counters.headsPerKVHead >= 4
        switch fileType {
        case .q2_k: return wideGQA ? .q4_K : .q3_K
        case .q3_k_m: return index < 2 ? .q5_K : .q4_K
        case .q3_k_l: return .q5_K
        case .iq4_nl, .iq4_xs: return wideGQA ? .q5_K : base
        case .iq3_xxs: return wideGQA ? .q4_K : counters.hasImatrix ? .iq3_XXS : .iq3_S
        case .iq3_s: return wideGQA ? .q4_K : base
        case .q4_k_m, .q5_k_m:
            return rules.attentionVUseMoreBits(index, counters.attentionVCount) ? .q6_K : base
        case .q4_k_s: return index < 4 ? .q5_K : base
        default: return base
        }
    }

    private static func ffnDownType(base: GGMLType, fileType: LlamaFileType, layer: Int, layerCount: Int,
                                    hasImatrix: Bool, rules: Rules) -> GGMLType {
        switch fileType {
        case .q2_k: return .q3_K
        case .q3_k_m: return layer < layerCount / 16 ? .q5_K : .q4_K
        case .q3_k_l: return .q5_K
        case .q4_k_m, .q5_k_m: return rules.ffnDownUseMoreBits(layer, layerCount) ? .q6_K : base
        case .iq4_nl, .iq4_xs: return layer < layerCount / 8 && !hasImatrix ? .q5_K : base
        case .iq3_xxs: return hasImatrix ? base : layer < layerCount / 8 ? .q4_K : .q3_K
        case .q4_k_s: return layer < layerCount / 8 ? .q5_K : base
        // "Guard against craziness in the first few ffn_down layers": only with an imatrix.
        case .q4_0: return hasImatrix && layer < layerCount / 8 ? .q4_1 : base
        case .q5_0: return hasImatrix && layer < layerCount / 8 ? .q5_1 : base
        default: return base
        }
    }

    /// `tensor_type_fallback`: a row length that is not a whole number of `type`'s blocks demotes
    /// a 256-block type to its 32-block stand-in, and anything that still does not fit to F16.
    static func fallback(_ type: GGMLType, rowLength: Int, counters: inout Counters) -> GGMLType {
        guard rowLength % type.blockSize != 0 else { return type }
        counters.fallbackCount += 1
        let replacement = fallbackTable(type)
        return rowLength % replacement.blockSize == 0 ? replacement : .f16
    }

    /// The fallback table of `tensor_type_fallback` (types llama-quantize has no fallback for,
    /// and 32-block types, map to themselves and so end as F16).
    public static func fallbackTable(_ type: GGMLType) -> GGMLType {
        switch type {
        case .iq1_S, .iq1_M, .iq2_XXS, .iq2_XS, .iq2_S, .iq3_XXS, .iq3_S, .iq4_XS: return .iq4_NL
        case .q2_K, .q3_K, .tq1_0, .tq2_0: return .q4_0
        case .q4_K: return .q5_0
        case .q5_K: return .q5_1
        case .q6_K: return .q8_0
        default: return type
        }
    }
}
