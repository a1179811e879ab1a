import MPTCore

/// The only globals a pickle may name: an allow-list modelled on PyTorch's `weights_only`
/// unpickler, cut down to what tensor checkpoints use. A global is data here — it is never
/// imported or called; REDUCE on one of these builds a plain value.
public enum PickleGlobal: Sendable, Hashable, CustomStringConvertible {
    /// `collections.OrderedDict` (state dicts).
    case orderedDict
    /// `torch._utils._rebuild_tensor_v2` (every ordinary tensor).
    case rebuildTensorV2
    /// `torch._utils._rebuild_tensor_v3` (tensors whose dtype has no legacy storage class, e.g. float8).
    case rebuildTensorV3
    /// `torch._utils._rebuild_parameter` (an `nn.Parameter` wrapping a tensor).
    case rebuildParameter
    /// A storage class such as `torch.FloatStorage`, or `torch.storage.UntypedStorage`.
    case storageType(TorchStorageType)
    /// A dtype object such as `torch.float8_e4m3fn` (an argument of `_rebuild_tensor_v3`).
    case dtype(DType, name: String)

    /// Resolves `module.name`, or `nil` when it is not allowed.
    public init?(module: String, name: String) {
        switch (module, name) {
        case ("collections", "OrderedDict"): self = .orderedDict
        case ("torch._utils", "_rebuild_tensor_v2"): self = .rebuildTensorV2
        case ("torch._utils", "_rebuild_tensor_v3"): self = .rebuildTensorV3
        case ("torch._utils", "_rebuild_parameter"): self = .rebuildParameter
        case ("torch.storage", "UntypedStorage"): self = .storageType(.untyped)
        case ("torch", _):
            if let storage = TorchStorageType(className: name) {
                self = .storageType(storage)
            } else if let dtype = Self.torchDTypes[name] {
                self = .dtype(dtype, name: name)
            } else {
                return nil
            }
        default: return nil
        }
    }

    private static let torchDTypes: [String: DType] = [
        "float64": .f64, "float32": .f32, "float16": .f16, "bfloat16": .bf16,
        "int64": .i64, "int32": .i32, "int16": .i16, "int8": .i8, "uint8": .u8, "bool": .bool,
        "float8_e4m3fn": .f8e4m3, "float8_e5m2": .f8e5m2,
    ]

    /// The dotted Python name.
    public var description: String {
        switch self {
        case .orderedDict: return "collections.OrderedDict"
        case .rebuildTensorV2: return "torch._utils._rebuild_tensor_v2"
        case .rebuildTensorV3: return "torch._utils._rebuild_tensor_v3"
        case .rebuildParameter: return "torch._utils._rebuild_parameter"
        case let .storageType(storage): return storage.pythonName
        case let .dtype(_, name): return "torch.\(name)"
        }
    }
}

/// A torch storage class named in a persistent id, with the element type it holds.
public struct TorchStorageType: Sendable, Hashable {
    /// Class name, e.g. `BFloat16Storage`.
    public let className: String
    /// Element type; `.u8` for `UntypedStorage` (whose element count is in bytes).
    public let dtype: DType

    /// `torch.storage.UntypedStorage`: raw bytes, typed by the tensor's dtype argument.
    public static let untyped = TorchStorageType(className: "UntypedStorage", dtype: .u8)

    /// True for `UntypedStorage`.
    public var isUntyped: Bool { self == .untyped }

    /// `torch.FloatStorage` style name.
    public var pythonName: String { isUntyped ? "torch.storage.UntypedStorage" : "torch.\(className)" }

    private init(className: String, dtype: DType) {
        self.className = className
        self.dtype = dtype
    }

    /// The typed storage classes PyTorch pickles (`torch.<className>`); `nil` for others
    /// (complex and quantized storages have no MPTKit dtype).
    public init?(className: String) {
        guard let dtype = Self.dtypes[className] else { return nil }
        self.init(className: className, dtype: dtype)
    }

    private static let dtypes: [String: DType] = [
        "DoubleStorage": .f64, "FloatStorage": .f32, "HalfStorage": .f16, "BFloat16Storage": .bf16,
        "LongStorage": .i64, "IntStorage": .i32, "ShortStorage": .i16, "CharStorage": .i8,
        "ByteStorage": .u8, "BoolStorage": .bool,
    ]
}
