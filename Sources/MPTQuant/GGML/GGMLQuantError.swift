import MPTFormats

/// Errors from the ggml block quantizers.
public enum GGMLQuantError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The type has no quantizer here (see `GGMLQuantizer.supportedTypes`; plus dense F32/F16/BF16 in streaming).
    case unsupportedType(GGMLType)
    /// An element or row count that is not a whole number of blocks.
    case partialBlock(type: GGMLType, count: Int)
    /// A destination or source buffer of the wrong size.
    case bufferSize(what: String, expected: Int, actual: Int)
    /// A tensor view that cannot be streamed (non-contiguous, or a non-float dtype).
    case unsupportedView(String)

    public var description: String {
        switch self {
        case let .unsupportedType(type):
            return "ggml type \(type) has no quantizer in MPTKit"
        case let .partialBlock(type, count):
            return "\(count) elements are not a whole number of \(type) blocks of \(type.blockSize)"
        case let .bufferSize(what, expected, actual):
            return "\(what) holds \(actual) bytes or elements, expected \(expected)"
        case let .unsupportedView(why):
            return "cannot quantize tensor view: \(why)"
        }
    }
}
