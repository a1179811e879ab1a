import MPTFormats

/// The per-tensor type choice of `llama-quantize` for arch `mpt`, as the llama.cpp vendored by
/// llama-cpp-python 0.3.36 makes it (`src/llama-quant.cpp`: `tensor_allows_quantization`,
/// `llama_tensor_get_type`, `llama_tensor_get_type_impl`, `tensor_type_fallback`), without an
/// `--pure`, `--tensor-type`, `--output-tensor-type` or `--token-embedding-type`; with or without
/// an imatrix (`Counters.hasImatrix`, llama-quantize's `qs.has_imatrix`).
///
/// llama-quantize visits the tensors in its `weights_map` order (`llamaOrder`) and keeps
/// counters across them (`Counters`): the index of the current attention-V-like tensor and of
/// the current `ffn_down` are counts of those tensors already visited, not parsed layer numbers.
/// `plan` reproduces that walk; `tensorType` is one step of it. Formats/gguf-mpt.md tabulates
/// the outcome per file type.
///
/// MPT specifics folded in: the arch is never Falcon, it has no experts, `n_gqa` is
/// `head_count / head_count_kv` (MPTKit only reads MPT files where that is 1), and llama.cpp
/// sizes MPT as 7B/30B/unknown, never 70B, so the 70B attn_v bump never applies.
public enum LlamaQuantMix {
    /// A tensor as llama-quantize sees it: GGUF name and row-major shape (outermost first).
    public struct Tensor: Sendable, Equatable {
        public var name: String
        public var shape: [Int]

        public init(name: String, shape: [Int]) {
            self.name = name
            self.shape = shape
        }

        /// ggml's `ne[0]`: the row length (innermost dimension).
        public var rowLength: Int { shape.last ?? 1 }
    }

    /// The outcome for one tensor.
    public struct Choice: Sendable, Equatable {
        /// The GGUF name.
        public var name: String
        /// The ggml type written, or nil when llama-quantize leaves the tensor in its input type
        /// (norms, biases, 1-D tensors, `position_embd`).
        public var type: GGMLType?
        /// The type the mix asked for when the row length could not take it and
        /// `tensor_type_fallback` chose `type` instead; nil when there was no fallback.
        public var fallbackFrom: GGMLType?

        public init(name: String, type: GGMLType?, fallbackFrom: GGMLType? = nil) {
            self.name = name
            self.type = type
            self.fallbackFrom = fallbackFrom
        }
    }

    /// `quantize_state_impl`'s counters. `init(names:layerCount:)` is
    /// `init_quantize_state_counters`; `tensorType` advances the `i*` counters.
    public struct Counters: Sendable, Equatable {
        /// Attention-V-like tensors in the file (`attn_v`, `attn_qkv`, `attn_kv_b` weights).
        public var attentionVCount = 0
        /// Attention-V-like tensors quantized so far.
        public var attentionVIndex = 0
        /// `n_ffn_down` (= `n_ffn_up` = `n_ffn_gate`): the model's `block_count`.
        public var ffnDownCount = 0
        /// `ffn_down` tensors quantized so far.
        public var ffnDownIndex = 0
        /// `ffn_up` / `ffn_gate` tensors quantized so far (they only matter for IQ3 mixes).
        public var ffnUpIndex = 0
        public var ffnGateIndex = 0
        /// Tensors whose row length made `tensor_type_fallback` change the type.
        public var fallbackCount = 0
        /// True unless the file has an `output.weight` (then `token_embd` is not the head).
        public var hasTiedEmbeddings = true
        /// `n_head / n_head_kv` (1 for every MPT MPTKit reads).
        public var headsPerKVHead = 1
        /// `qs.has_imatrix`: an importance matrix was given (it changes the `ffn_down` rules of
        /// Q4_0, Q5_0, IQ4_NL and IQ4_XS).
        public var hasImatrix = false

        /// Counters for a file holding tensors `names` and `layerCount` blocks.
        public init(names: [String], layerCount: Int, headsPerKVHead: Int = 1, hasImatrix: Bool = false) {
            for name in names {
                let category = Category(name: name)
                if category.isAttentionVLike { attentionVCount += 1 }
                if category == .output { hasTiedEmbeddings = false }
            }
            ffnDownCount = layerCount
            self.headsPerKVHead = headsPerKVHead
            self.hasImatrix = hasImatrix
        }
    }

    /// The choice for every tensor of a file, in the order of `tensors`. The walk itself follows
    /// `llamaOrder`, as llama-quantize's does. `layerCount` is `mpt.block_count`.
    public static func plan(fileType: LlamaFileType, tensors: [Tensor], layerCount: Int,
                            headsPerKVHead: Int = 1, hasImatrix: Bool = false) -> [Choice] {
        plan(fileType: fileType, tensors: tensors, layerCount: layerCount, headsPerKVHead: headsPerKVHead,
             hasImatrix: hasImatrix, rules: Rules())
    }

    /// `plan` with replaceable rule pieces (tests check that a wrong rule fails the goldens).
    static func plan(fileType: LlamaFileType, tensors: [Tensor], layerCount: Int, headsPerKVHead: Int,
                     hasImatrix: Bool = false, rules: Rules) -> [Choice] {
        var counters = Counters(
            names: tensors.map(\.name), layerCount: layerCount, headsPerKVHead: headsPerKVHead, hasImatrix: hasImatrix)
        var chosen: [String: Choice] = [:]
        for index in llamaOrder(tensors.map(\.name)) {
            let tensor = tensors[index]
            chosen[tensor.name] = tensorType(tensor, fileType: fileType, counters: &counters, rules: rules)
        }
        return tensors.map { chosen[$0.name] ?? Choice(name: $0.name, type: nil) }
    }

    /// One step of llama-quantize's walk: the type of `tensor` in a `fileType` file, given (and
    /// advancing) the counters of the tensors visited before it.
    public static func tensorType(_ tensor: Tensor, fileType: LlamaFileType, counters: inout Counters) -> Choice {
        tensorType(tensor, fileType: fileType, counters: &counters, rules: Rules())
    }

    static func tensorType(_ tensor: Tensor, fileType: LlamaFileType, counters: inout Counters, rules: Rules) -> Choice {
        guard allowsQuantization(tensor) else { return Choice(name: tensor.name, type: nil) }
        let category = Category(name: tensor.name)
        let wanted = mixType(tensor, category: category, fileType: fileType, counters: &counters, rules: rules)
        let type = fallback(wanted, rowLength: tensor.rowLength, counters: &counters)
        return Choice(name: tensor.name, type: type, fallbackFrom: type == wanted ? nil : wanted)
    }
}
