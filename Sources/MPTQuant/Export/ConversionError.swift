/// Errors raised while converting. The messages say what is wrong with the weights; the tools
/// add how to proceed (e.g. the flag that keeps non-finite values).
public enum ConversionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A tensor holds NaN or ±Inf values.
    case nonFinite(tensor: String, count: Int)
    /// Values that overflow the output dtype (they would become ±Inf).
    case overflow(tensor: String, count: Int, dtype: String)
    /// Anything else the conversion cannot do.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .nonFinite(tensor, count):
            return "tensor '\(tensor)' has \(count) NaN/Inf values"
        case let .overflow(tensor, count, dtype):
            return "tensor '\(tensor)': \(count) values overflow \(dtype) to ±inf"
        case let .unsupported(what):
            return what
        }
    }
}
