import MPTCore
import MPTFormats
import MPTGraph

/// Turns any weight source of the graph — dense or quantized — into `Float` values, row-major.
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
}
