/// Problems quantizing, or reading back, bitsandbytes-format tensors.
public enum BitsAndBytesError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A blocksize bitsandbytes does not accept (4-bit: powers of two 32…4096).
    case invalidBlocksize(Int)
    /// The values given do not match the shape's element count.
    case elementCountMismatch(expected: Int, actual: Int)
    /// A required component (e.g. `weight.absmax`) is missing.
    case missingComponent(String)
    /// A component has the wrong dtype or element count.
    case badComponent(name: String, reason: String)
    /// The packed `quant_state.bitsandbytes__*` JSON is malformed or names something unsupported.
    case badQuantState(String)
    /// A shape or count overflowed.
    case overflow(String)

    public var description: String {
        switch self {
        case let .invalidBlocksize(size):
            return "blocksize \(size) is not supported (use a power of two from 32 to 4096)"
        case let .elementCountMismatch(expected, actual):
            return "expected \(expected) values for the shape, got \(actual)"
        case let .missingComponent(name):
            return "bitsandbytes component '\(name)' is missing"
        case let .badComponent(name, reason):
            return "bitsandbytes component '\(name)' is invalid: \(reason)"
        case let .badQuantState(reason):
            return "bitsandbytes quant_state is invalid: \(reason)"
        case let .overflow(what):
            return "arithmetic overflow computing \(what)"
        }
    }
}
