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

/// Weight quantization schemes.
public enum QuantScheme: String, Sendable, CaseIterable {
    case none, int8, nf4, q8_0, q4_0
}
