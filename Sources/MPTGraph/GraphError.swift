/// Errors from normalizing a config or mapping a checkpoint's tensors onto the MPT graph.
public enum GraphError: Error, Sendable, Equatable, CustomStringConvertible {
    case configNotObject
    case missingKey(String)
    case wrongType(key: String, expected: String, found: String)
    case invalidValue(key: String, problem: String)
    case unsupportedOption(key: String, value: String)
    case notMPT(String)
    case missingTensor(String)
    case unexpectedTensor(String)
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    case duplicateTensor(canonical: String, first: String, second: String)
    case unsupportedDType(tensor: String, dtype: String)

    public var description: String {
        switch self {
        case .configNotObject: return "config.json must be a JSON object"
        case let .missingKey(key): return "config is missing required key '\(key)'"
        case let .wrongType(key, expected, found): return "config key '\(key)' must be \(expected), found \(found)"
        case let .invalidValue(key, problem): return "config key '\(key)' \(problem)"
        case let .unsupportedOption(key, value): return "unsupported MPT option \(key)=\(value)"
        case let .notMPT(why): return "not an MPT model: \(why)"
        case let .missingTensor(name): return "missing tensor '\(name)'"
        case let .unexpectedTensor(name): return "unexpected tensor '\(name)' (not part of this MPT config)"
        case let .wrongShape(tensor, expected, found): return "tensor '\(tensor)' has shape \(found), expected \(expected)"
        case let .duplicateTensor(canonical, first, second): return "tensors '\(first)' and '\(second)' both map to '\(canonical)'"
        case let .unsupportedDType(tensor, dtype): return "tensor '\(tensor)' has dtype \(dtype), which cannot be used as a weight"
        }
    }
}
