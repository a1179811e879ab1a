extension LlamaQuantMix {
    /// `tensor_category`: llama-quantize's broad role of a tensor, from its name.
    enum Category: Equatable {
        case tokenEmbedding, attentionQ, attentionV, attentionK, attentionQKV, attentionKVB
        case attentionOutput, ffnUp, ffnGate, ffnDown, output, other

        /// `tensor_get_category` (first match wins, substring tests as in llama-quant.cpp).
        init(name: String) {
            if name == "output.weight" { self = .output; return }
            if name == "token_embd.weight" || name == "per_layer_token_embd.weight" { self = .tokenEmbedding; return }
            let rules: [(String, Category)] = [
                ("attn_qkv.weight", .attentionQKV), ("attn_kv_b.weight", .attentionKVB), ("attn_v.weight", .attentionV),
                ("attn_k.weight", .attentionK), ("attn_q.weight", .attentionQ), ("attn_output.weight", .attentionOutput),
                ("ffn_up", .ffnUp), ("ffn_gate", .ffnGate), ("ffn_down", .ffnDown),
            ]
            self = rules.first { name.contains($0.0) }?.1 ?? .other
        }

        /// `category_is_attn_v`.
        var isAttentionVLike: Bool { self == .attentionV || self == .attentionQKV || self == .attentionKVB }
    }

    /// Name fragments `tensor_allows_quantization` never quantizes (all arches; the GLM5-next
    /// list does not apply to `mpt`).
    static let neverQuantizedFragments = [
        "_norm.weight", "ffn_gate_inp.weight", "ffn_gate_tid2eid.weight", "altup", "laurel", "per_layer_model_proj",
        "ssm_conv1d", "shortconv.conv.weight", "indexer.k_proj.weight", "indexer.q_proj.weight",
        "time_mix_first.weight", "time_mix_w0.weight", "time_mix_w1.weight", "time_mix_w2.weight",
        "time_mix_v0.weight", "time_mix_v1.weight", "time_mix_v2.weight", "time_mix_a0.weight",
        "time_mix_a1.weight", "time_mix_a2.weight", "time_mix_g1.weight", "time_mix_g2.weight",
        "time_mix_decay_w1.weight", "time_mix_decay_w2.weight", "time_mix_lerp_fused.weight",
        "attn_rel_b.weight", ".position_embd", "sam.pos_embd", "sam.neck.", "sam.net_", ".rel_pos",
        ".patch_embd", ".patch_merger", "a.rvq.codebook", "mm.a.code_embd",
    ]

    /// `tensor_allows_quantization`: at least two non-trivial dimensions (`ggml_n_dims ≥ 2`, so a
    /// [1, n] matrix counts as 1-D), a name ending in `weight`, not a norm, not the positional
    /// or token-type embedding, none of the other never-quantized fragments.
    public static func allowsQuantization(_ tensor: Tensor) -> Bool {
        guard significantDimensions(tensor.shape) >= 2, tensor.name.hasSuffix("weight") else { return false }
        if tensor.name == "position_embd.weight" || tensor.name == "token_types.weight" { return false }
        return !neverQuantizedFragments.contains { tensor.name.contains($0) }
    }

    /// `ggml_n_dims`: dimensions up to the last one above 1 (trailing ggml dims of 1 — leading
    /// row-major ones — do not count), at least 1.
    static func significantDimensions(_ shape: [Int]) -> Int {
        let innermostFirst = Array(shape.reversed())
        guard let last = innermostFirst.lastIndex(where: { $0 > 1 }) else { return 1 }
        return last + 1
    }

    /// The order of llama-quantize's `weights_map` (`weight_name_comparer`): tensors outside
    /// blocks first (layer -1), then by block number, ties by byte-wise name. Returns indices
    /// into `names`.
    public static func llamaOrder(_ names: [String]) -> [Int] {
        let keys = names.map { (layer: blockNumber($0) ?? -1, bytes: Array($0.utf8)) }
        return names.indices.sorted { a, b in
            if keys[a].layer != keys[b].layer { return keys[a].layer < keys[b].layer }
            return keys[a].bytes.lexicographicallyPrecedes(keys[b].bytes)
        }
    }

    /// `sscanf(name, "blk.%d.")`: the number after `blk.` (the trailing dot is not required for
    /// the conversion to count), or nil.
    static func blockNumber(_ name: String) -> Int? {
        guard name.hasPrefix("blk.") else { return nil }
        var rest = Substring(name.dropFirst(4))
        var sign = 1
        if let first = rest.first, first == "-" || first == "+" {
            sign = first == "-" ? -1 : 1
            rest = rest.dropFirst()
        }
        let digits = rest.prefix { $0.isASCII && $0.isNumber }
        guard let value = Int32(digits) else { return nil }
        return sign * Int(value)
    }
}
