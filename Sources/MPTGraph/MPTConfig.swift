/// The normalized MPT hyper-parameters, whatever config flavour they were read from
/// (MosaicML `mpt`, Hugging Face `MptForCausalLM`, the older `mosaic_gpt`).
///
/// Every field is resolved: defaults applied, `logit_scale: "inv_sqrt_d_model"` turned into a
/// number, `softmax_scale: null` left `nil` meaning `1/sqrt(headDim)`.
public struct MPTConfig: Sendable, Codable, Equatable {
    /// Hidden size (`d_model`).
    public var dModel: Int
    /// Attention heads (`n_heads`).
    public var nHeads: Int
    /// Transformer blocks (`n_layers`).
    public var nLayers: Int
    /// MLP hidden size (`expansion_ratio × d_model`, or `mlp_ratio × d_model`).
    public var ffnHiddenSize: Int
    /// Maximum sequence length (`max_seq_len`).
    public var maxSeqLen: Int
    /// Vocabulary rows in the embedding (`vocab_size`).
    public var vocabSize: Int
    /// LayerNorm epsilon (`layer_norm_epsilon`, default 1e-5).
    public var layerNormEpsilon: Double
    /// `no_bias`: when true no linear or norm layer has a bias.
    public var noBias: Bool
    /// ALiBi position bias on.
    public var alibi: Bool
    /// `alibi_bias_max` (default 8).
    public var alibiBiasMax: Double
    /// `clip_qkv`: clamp of the fused QKV projection, `nil` when off.
    public var clipQKV: Double?
    /// `softmax_scale`; `nil` means `1/sqrt(headDim)`.
    public var softmaxScale: Double?
    /// `qk_ln`: LayerNorm over the full `d_model` applied to q and k.
    public var qkLayerNorm: Bool
    /// Multiplier applied to the logits; `nil` when absent.
    public var logitScale: Double?
    /// Learned absolute position embedding (`transformer.wpe`).
    public var learnedPositionEmbedding: Bool
    /// Output head shares the token embedding.
    public var tiedEmbeddings: Bool
    /// The MLP's GELU: exact (erf) unless llm-foundry's `ffn_act_fn` asks for `approximate: "tanh"`.
    public var geluApproximation: GELUApproximation = .none

    /// Size of one attention head.
    public var headDim: Int { dModel / max(nHeads, 1) }

    /// The scale applied to q·k before the softmax.
    public var effectiveSoftmaxScale: Double { softmaxScale ?? 1 / Double(headDim).squareRoot() }

    public init(
        dModel: Int, nHeads: Int, nLayers: Int, ffnHiddenSize: Int, maxSeqLen: Int, vocabSize: Int,
        layerNormEpsilon: Double = 1e-5, noBias: Bool = true, alibi: Bool = true, alibiBiasMax: Double = 8,
        clipQKV: Double? = nil, softmaxScale: Double? = nil, qkLayerNorm: Bool = false, logitScale: Double? = nil,
        learnedPositionEmbedding: Bool = false, tiedEmbeddings: Bool = true,
        geluApproximation: GELUApproximation = .none
    ) {
        self.geluApproximation = geluApproximation
        self.dModel = dModel
        self.nHeads = nHeads
        self.nLayers = nLayers
        self.ffnHiddenSize = ffnHiddenSize
        self.maxSeqLen = maxSeqLen
        self.vocabSize = vocabSize
        self.layerNormEpsilon = layerNormEpsilon
        self.noBias = noBias
        self.alibi = alibi
        self.alibiBiasMax = alibiBiasMax
        self.clipQKV = clipQKV
        self.softmaxScale = softmaxScale
        self.qkLayerNorm = qkLayerNorm
        self.logitScale = logitScale
        self.learnedPositionEmbedding = learnedPositionEmbedding
        self.tiedEmbeddings = tiedEmbeddings
    }
}

/// How the MLP computes GELU (PyTorch `nn.GELU(approximate=…)`).
public enum GELUApproximation: String, Sendable, Hashable, Codable {
    /// `x · ½ · (1 + erf(x/√2))`.
    case none
    /// `x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 x³)))`.
    case tanh
}
