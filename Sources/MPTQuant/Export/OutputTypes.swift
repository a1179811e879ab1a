import MPTCore

/// Floating-point storage types a conversion can produce.
public enum TargetDType: String, Sendable, CaseIterable {
    case f32, f16, bf16

    /// The safetensors dtype.
    public var dtype: DType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }

    /// The `torch_dtype` spelling for config.json.
    public var torchName: String {
        switch self {
        case .f32: return "float32"
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        }
    }
}

/// Weight quantization schemes: none, the bitsandbytes safetensors layouts (int8, NF4), and
/// every `llama-quantize` file type (GGUF; see `LlamaFileType`).
public enum QuantScheme: String, Sendable, CaseIterable {
    case none, int8, nf4
    case q4_0, q4_1, q5_0, q5_1, q8_0
    case q2_k, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k
    case iq4_nl, iq4_xs
    case iq3_xxs, iq3_s

    /// The llama-quantize file type of a GGUF scheme; nil for none, int8 and NF4.
    public var llamaFileType: LlamaFileType? { LlamaFileType(rawValue: rawValue) }

    /// True for the bitsandbytes safetensors layouts.
    public var isBitsAndBytes: Bool { self == .int8 || self == .nf4 }
}
