import MPTCore

/// Where one weight's values come from: a plain tensor in the file, a quantized one whose
/// components the quantizer layer knows how to decode, or a weight computed from others when it is
/// read (a LoRA merge).
public enum TensorSource: Sendable {
    /// A dense tensor of a floating-point dtype.
    case dense(TensorView)
    /// A quantized tensor: its format, logical shape (outermost first), and named components.
    case quantized(QuantizedTensor)
    /// `base + scale·(B·A)`, computed in float32 by the quantizer layer each time it is read.
    indirect case merged(base: TensorSource, update: LoRAUpdate)

    /// Logical shape, outermost first.
    public var shape: [Int] {
        switch self {
        case let .dense(view): return view.shape.dims
        case let .quantized(tensor): return tensor.shape
        case let .merged(base, _): return base.shape
        }
    }

    /// Short type text for listings (`F32`, `NF4`, `Q8_0`).
    public var typeName: String {
        switch self {
        case let .dense(view): return view.dtype.rawValue
        case let .quantized(tensor): return tensor.format
        case let .merged(base, _): return base.typeName + "+LoRA"
        }
    }

    /// Bytes occupied on disk.
    public var storedBytes: Int {
        switch self {
        case let .dense(view): return view.byteCount
        case let .quantized(tensor): return tensor.components.values.reduce(0) { $0 &+ $1.byteCount }
        case let .merged(base, update): return base.storedBytes &+ update.a.byteCount &+ update.b.byteCount
        }
    }

    /// The stored source under any computed layers (the base weight of a LoRA merge).
    public var stored: TensorSource {
        if case let .merged(base, _) = self { return base.stored }
        return self
    }

    /// The file a stored dense source was read from (for messages); `nil` for other sources.
    public var origin: String? {
        if case let .dense(view) = stored { return view.storage.origin }
        return nil
    }

    /// True when the values are stored quantized (not computed, not dense).
    public var isQuantized: Bool {
        if case .quantized = self { return true }
        return false
    }
}

/// A quantized weight as stored: the format name and its component tensors by role
/// (for bitsandbytes NF4: `weight`, `absmax`, `quant_map`, …; for GGML: `blocks`).
public struct QuantizedTensor: Sendable {
    /// Format identifier, e.g. `NF4`, `INT8`, `Q8_0`, `Q4_0`.
    public var format: String
    /// Logical shape, outermost first.
    public var shape: [Int]
    /// Component tensors by role.
    public var components: [String: TensorView]
    /// Format parameters (blocksize, JSON quant state, …).
    public var parameters: [String: String]

    public init(format: String, shape: [Int], components: [String: TensorView], parameters: [String: String] = [:]) {
        self.format = format
        self.shape = shape
        self.components = components
        self.parameters = parameters
    }
}
