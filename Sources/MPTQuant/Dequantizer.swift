import MPTCore
import MPTFormats
import MPTGraph

/// Turns any weight source of the graph — dense, quantized, or LoRA-merged — into `Float` values,
/// row-major.
public enum Dequantizer {
    /// Errors decoding a quantized tensor.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case unknownFormat(String)
        case missingComponent(format: String, role: String)
        case wrongSize(format: String, expected: Int, actual: Int)

        public var description: String {
            switch self {
            case let .unknownFormat(format): return "no decoder for quantized format \(format)"
            case let .missingComponent(format, role): return "\(format) tensor lacks its '\(role)' component"
            case let .wrongSize(format, expected, actual): return "\(format) tensor decodes to \(actual) values, expected \(expected)"
            }
        }
    }

    /// The values of `source`, row-major, as `Float`.
    public static func floats(_ source: TensorSource) throws -> [Float] {
        switch source {
        case let .dense(view):
            let values = try view.floats()
            view.storage.dropCachedPages(offset: view.byteOffset, length: view.byteCount)
            return values
        case let .quantized(tensor):
            let values = try decode(tensor)
            let expected = tensor.shape.reduce(1) { $0 &* $1 }
            guard values.count == expected else {
                throw Failure.wrongSize(format: tensor.format, expected: expected, actual: values.count)
            }
            return values
        case let .merged(base, update):
            var values = try floats(base)
            try LoRAMerge.apply(update, to: &values, shape: base.shape)
            return values
        }
    }

    private static func decode(_ tensor: QuantizedTensor) throws -> [Float] {
        if let type = GGMLType.allCases.first(where: { $0.description == tensor.format }), GGMLQuantizer.supports(type) {
            guard let blocks = tensor.components["blocks"] else { throw Failure.missingComponent(format: tensor.format, role: "blocks") }
            return try blocks.withContiguousBytes { try GGMLQuantizer.dequantize(Array($0), as: type) }
        }
        switch tensor.format {
        case "NF4": return try BitsAndBytesNF4.dequantize(components: tensor.components).values
        case "INT8": return try BitsAndBytesInt8.dequantize(components: tensor.components).values
        default: throw Failure.unknownFormat(tensor.format)
        }
    }

    /// Conversions start from unquantized weights: throws for a quantized source, or a LoRA merge
    /// onto a quantized base.
    public static func requireUnquantized(_ source: TensorSource, name: String) throws {
        switch source {
        case .dense: return
        case .quantized:
            throw ConversionError.unsupported("tensor '\(name)' is already quantized (\(source.typeName)); convert from an unquantized checkpoint")
        case .merged:
            if source.stored.isQuantized {
                throw ConversionError.unsupported("tensor '\(name)' is quantized (\(source.stored.typeName)); merge LoRA into an unquantized checkpoint")
            }
        }
    }

    /// A dense view of a non-quantized source: the stored view itself, or, for a computed source
    /// (a LoRA merge), its float32 values in a fresh buffer. Call it when the tensor is needed.
    public static func denseView(_ source: TensorSource, name: String) throws -> TensorView {
        try requireUnquantized(source, name: name)
        return try decodedView(source, name: name)
    }

    /// A dense view of any source: the stored view of a dense one, else its decoded float32
    /// values in a fresh buffer (re-quantization starts from these).
    public static func decodedView(_ source: TensorSource, name: String) throws -> TensorView {
        switch source {
        case let .dense(view):
            return view
        case .quantized, .merged:
            let values = try floats(source)
            let storage = ByteStorage(count: values.count * 4, origin: name) { buffer in
                values.withUnsafeBytes { buffer.copyMemory(from: $0) }
            }
            return try TensorView(storage: storage, dtype: .f32, shape: try Shape(checking: source.shape), byteOffset: 0)
        }
    }
}
