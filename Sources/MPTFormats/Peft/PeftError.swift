/// Everything that can be wrong with a peft adapter directory, or that we decline to merge.
public enum PeftError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Neither `adapter_model.safetensors` nor `adapter_model.bin` is in the directory.
    case noWeights(String)
    /// `adapter_config.json` is missing.
    case noConfig(String)
    /// A config key has the wrong JSON type or an impossible value.
    case badConfigValue(key: String, problem: String)
    /// The adapter is not a LoRA adapter (`peft_type`).
    case notLoRA(peftType: String)
    /// A LoRA option whose merge we do not implement.
    case unsupportedOption(key: String, value: String, reason: String)
    /// A tensor name that is not `base_model.model.<module>.lora_A|lora_B.weight`.
    case unexpectedTensor(name: String)
    /// A module has `lora_A` but not `lora_B`, or the reverse.
    case missingPair(module: String, missing: String)
    /// A LoRA matrix that is not a 2-D floating-point tensor.
    case badTensor(name: String, problem: String)
    /// The adapter file holds no LoRA weights at all.
    case empty

    public var description: String {
        switch self {
        case let .noWeights(directory):
            return "no adapter weights in \(directory) (looked for adapter_model.safetensors and adapter_model.bin)"
        case let .noConfig(directory):
            return "no adapter_config.json in \(directory)"
        case let .badConfigValue(key, problem):
            return "key '\(key)' \(problem)"
        case let .notLoRA(peftType):
            return "adapter peft_type is \(peftType); only LORA adapters can be merged"
        case let .unsupportedOption(key, value, reason):
            return "unsupported LoRA option \(key)=\(value): \(reason)"
        case let .unexpectedTensor(name):
            return "adapter tensor '\(name)' is not a LoRA matrix (expected base_model.model.<module>.lora_A.weight or .lora_B.weight)"
        case let .missingPair(module, missing):
            return "adapter module '\(module)' lacks its \(missing).weight tensor"
        case let .badTensor(name, problem):
            return "adapter tensor '\(name)' \(problem)"
        case .empty:
            return "adapter holds no LoRA weights"
        }
    }
}
