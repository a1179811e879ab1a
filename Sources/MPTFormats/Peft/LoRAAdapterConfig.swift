/// The parts of a peft `adapter_config.json` that decide how a LoRA adapter merges into its base
/// weights. Parsing refuses every option whose merge is not `W + scale·(B·A)` on the weight as
/// stored (see Formats/peft-lora.md).
public struct LoRAAdapterConfig: Sendable {
    /// Which modules the adapter was attached to, as `target_modules` gives them.
    public enum TargetModules: Sendable, Equatable {
        /// A list: a module matches when its name equals an entry or ends with `.` + entry.
        case names([String])
        /// A string: a regular expression the whole module name must match (or peft's `all-linear`).
        case pattern(String)
    }

    /// Default rank `r`.
    public var rank: Int
    /// Default `lora_alpha`.
    public var alpha: Double
    /// `target_modules`, or `nil` when the config leaves it to peft's per-architecture default.
    public var targetModules: TargetModules?
    /// rsLoRA: scale `alpha / sqrt(r)` instead of `alpha / r`.
    public var useRSLoRA: Bool
    /// `rank_pattern`: module-name regex → rank, in file order.
    public var rankPattern: [(pattern: String, rank: Int)]
    /// `alpha_pattern`: module-name regex → alpha, in file order.
    public var alphaPattern: [(pattern: String, alpha: Double)]
    /// `layers_to_transform`, when the adapter is restricted to some layers.
    public var layersToTransform: [Int]?
    /// `base_model_name_or_path`, for messages.
    public var baseModel: String?

    /// Options that switch on a LoRA variant whose merge differs from plain LoRA (peft's
    /// `is_lora_variant` fields and friends), with what each one is.
    static let variantOptions: [(key: String, what: String)] = [
        ("use_dora", "DoRA rescales each merged column by a learned magnitude"),
        ("use_qalora", "QA-LoRA pools the input groups before lora_A"),
        ("use_bdlora", "BD-LoRA uses block-diagonal factors"),
        ("alora_invocation_tokens", "activated LoRA only applies after its invocation tokens and cannot be merged"),
        ("arrow_config", "Arrow routes between several adapters per token"),
        ("velora_config", "VeLoRA changes the adapter's forward"),
        ("monteclora_config", "MonteCLoRA samples the adapter weights"),
        ("kasa_config", "KaSA changes the adapter's forward"),
        ("layer_replication", "layer replication changes the model's layer list"),
        ("lora_bias", "the adapter carries a bias for lora_B"),
        ("trainable_token_indices", "the adapter retrains token embeddings"),
        ("target_parameters", "the adapter targets raw parameters, not linear modules"),
        ("modules_to_save", "the adapter replaces whole modules"),
        ("fan_in_fan_out", "MPT's linear layers store weights as [out, in]; fan_in_fan_out is for Conv1D"),
    ]

    /// Reads and checks a parsed `adapter_config.json`.
    public init(json: JSONValue) throws {
        guard json.objectMembers != nil else { throw PeftError.badConfigValue(key: "(top level)", problem: "must be a JSON object") }
        let peftType = try Self.string(json, "peft_type") ?? "LORA"
        guard peftType == "LORA" else { throw PeftError.notLoRA(peftType: peftType) }
        for (key, what) in Self.variantOptions {
            guard let value = json[key], Self.isSet(value) else { continue }
            throw PeftError.unsupportedOption(key: key, value: Self.render(value), reason: what)
        }
        let bias = try Self.string(json, "bias") ?? "none"
        guard bias == "none" else {
            throw PeftError.unsupportedOption(key: "bias", value: "\"\(bias)\"", reason: "the adapter trains the layers' biases; only bias=\"none\" can be merged")
        }
        if let initialization = json["init_lora_weights"]?.stringValue, initialization == "mica" {
            throw PeftError.unsupportedOption(key: "init_lora_weights", value: initialization, reason: "MiCA is a LoRA variant with its own forward")
        }
        rank = try Self.positiveInt(json, "r") ?? 8
        alpha = try Self.number(json, "lora_alpha") ?? 8
        useRSLoRA = try Self.bool(json, "use_rslora") ?? false
        targetModules = try Self.targets(json["target_modules"])
        rankPattern = try Self.patternMap(json, "rank_pattern").map { entry in
            guard let rank = entry.value.intValue, rank > 0 else {
                throw PeftError.badConfigValue(key: "rank_pattern.\(entry.key)", problem: "must be a positive integer")
            }
            return (entry.key, rank)
        }
        alphaPattern = try Self.patternMap(json, "alpha_pattern").map { entry in
            guard let alpha = entry.value.doubleValue, alpha.isFinite else {
                throw PeftError.badConfigValue(key: "alpha_pattern.\(entry.key)", problem: "must be a number")
            }
            return (entry.key, alpha)
        }
        layersToTransform = try Self.layers(json["layers_to_transform"])
        baseModel = json["base_model_name_or_path"]?.stringValue
    }
}
