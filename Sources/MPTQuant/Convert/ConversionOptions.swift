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

/// Everything a conversion needs to know besides input and output.
public struct ConversionOptions: Sendable {
    /// Storage type of unquantized tensors.
    public var dtype: TargetDType
    /// Quantization of the linear-layer weights.
    public var quant: QuantScheme
    /// NF4 block size (64…4096, power of two).
    public var blocksize: Int
    /// NF4 double quantization of absmax.
    public var doubleQuant: Bool
    /// Accept NaN/Inf weights instead of failing.
    public var allowNonfinite: Bool
    /// Worker threads.
    public var threads: Int
    /// Maximum shard size in bytes (`nil`: one file).
    public var shardSize: Int?
    /// fsync every output file before renaming it into place (off: `--no-sync`, for scratch
    /// outputs where a crash may lose the result).
    public var durable: Bool

    public init(dtype: TargetDType = .f32, quant: QuantScheme = .none, blocksize: Int = 64, doubleQuant: Bool = true,
                allowNonfinite: Bool = false, threads: Int = 2, shardSize: Int? = nil, durable: Bool = true) {
        self.dtype = dtype
        self.quant = quant
        self.blocksize = blocksize
        self.doubleQuant = doubleQuant
        self.allowNonfinite = allowNonfinite
        self.threads = threads
        self.shardSize = shardSize
        self.durable = durable
    }
}

/// Errors raised while converting.
public enum ConversionError: Error, Sendable, CustomStringConvertible {
    case nonFinite(tensor: String, count: Int)
    case overflow(tensor: String, count: Int, dtype: String)
    case unsupported(String)

    public var description: String {
        switch self {
        case let .nonFinite(tensor, count):
            return "tensor '\(tensor)' has \(count) NaN/Inf values (use --allow-nonfinite to keep them)"
        case let .overflow(tensor, count, dtype):
            return "tensor '\(tensor)': \(count) values overflow \(dtype) to ±inf (use --allow-nonfinite to keep them)"
        case let .unsupported(what):
            return what
        }
    }
}
