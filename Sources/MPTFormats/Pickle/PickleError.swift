/// Problems found while evaluating a pickle stream with `PickleMachine`. Every case names the byte
/// offset of the opcode that failed.
public enum PickleError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The PROTO opcode asks for a protocol above 5.
    case unsupportedProtocol(Int, offset: Int)
    /// An opcode this machine does not implement (deliberately: torch checkpoints never need it).
    case unsupportedOpcode(UInt8, offset: Int)
    /// A GLOBAL or STACK_GLOBAL names something outside the allow-list; nothing was imported or run.
    case forbiddenGlobal(String, offset: Int)
    /// REDUCE, NEWOBJ or BUILD applied to something that is not an allowed callable.
    case forbiddenCall(String, offset: Int)
    /// An opcode needed more stack items than there were.
    case stackUnderflow(opcode: String, offset: Int)
    /// An opcode needed a MARK and none was set.
    case missingMark(opcode: String, offset: Int)
    /// A memo lookup found nothing at `index`.
    case missingMemo(index: Int, offset: Int)
    /// A resource limit (stack size, memo size, nesting depth, string length) was exceeded.
    case limitExceeded(what: String, limit: Int, offset: Int)
    /// An opcode found a value of the wrong kind.
    case typeMismatch(expected: String, found: String, offset: Int)
    /// The stream ended inside an opcode or before STOP.
    case truncated(offset: Int)
    /// A string was not valid UTF-8 (or a GLOBAL line not valid text).
    case invalidText(offset: Int)
    /// An integer does not fit in 64 bits.
    case integerTooLarge(offset: Int)
    /// A persistent id is not a torch storage tuple `('storage', type, key, location, numel)`.
    case badPersistentID(String, offset: Int)
    /// The arguments of a tensor rebuild call are malformed.
    case badTensorArguments(String, offset: Int)
    /// STOP left something other than exactly one value.
    case badFinalStack(count: Int, offset: Int)

    public var description: String {
        switch self {
        case let .unsupportedProtocol(version, offset):
            return "pickle protocol \(version) at byte \(offset) is not supported (only 0 to 5)"
        case let .unsupportedOpcode(code, offset):
            return "pickle opcode 0x\(String(code, radix: 16)) at byte \(offset) is not supported by this safe unpickler"
        case let .forbiddenGlobal(name, offset):
            return "pickle global '\(name)' at byte \(offset) is not on the allow-list; refusing to load it (nothing was executed)"
        case let .forbiddenCall(name, offset):
            return "pickle calls '\(name)' at byte \(offset), which is not an allowed call; refusing to load it (nothing was executed)"
        case let .stackUnderflow(opcode, offset):
            return "pickle opcode \(opcode) at byte \(offset) needs more values than the stack holds"
        case let .missingMark(opcode, offset):
            return "pickle opcode \(opcode) at byte \(offset) needs a MARK and none is set"
        case let .missingMemo(index, offset):
            return "pickle memo lookup at byte \(offset) asks for entry \(index), which was never stored"
        case let .limitExceeded(what, limit, offset):
            return "pickle exceeds the \(what) limit of \(limit) at byte \(offset)"
        case let .typeMismatch(expected, found, offset):
            return "pickle expected \(expected) at byte \(offset) but found \(found)"
        case let .truncated(offset):
            return "pickle data ends unexpectedly at byte \(offset)"
        case let .invalidText(offset):
            return "pickle text at byte \(offset) is not valid UTF-8"
        case let .integerTooLarge(offset):
            return "pickle integer at byte \(offset) does not fit in 64 bits"
        case let .badPersistentID(why, offset):
            return "pickle persistent id at byte \(offset) is not a torch storage reference: \(why)"
        case let .badTensorArguments(why, offset):
            return "tensor rebuild call at byte \(offset) has bad arguments: \(why)"
        case let .badFinalStack(count, offset):
            return "pickle STOP at byte \(offset) leaves \(count) values on the stack instead of one"
        }
    }
}
