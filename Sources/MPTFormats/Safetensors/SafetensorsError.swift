/// Everything that can be wrong with a safetensors file. Mirrors the checks of the reference Rust
/// crate (`safetensors::SafeTensorError`).
public enum SafetensorsError: Error, Sendable, Equatable, CustomStringConvertible {
    case fileTooSmall(Int)
    case headerTooLarge(UInt64, limit: Int)
    case headerPastEnd(headerLength: UInt64, fileSize: Int)
    case headerNotUTF8
    case headerNotJSON(String)
    case headerNotObject(String)
    case badMetadata(String)
    case badTensorEntry(name: String, problem: String)
    case unknownDType(name: String, dtype: String)
    case badShape(name: String, problem: String)
    case offsetsNotContiguous(name: String, expectedStart: Int, actualStart: Int)
    case offsetsReversed(name: String, start: Int, end: Int)
    case sizeMismatch(name: String, declaredBytes: Int, expectedBytes: Int)
    case trailingBytes(dataEnd: Int, bufferSize: Int)

    public var description: String {
        switch self {
        case let .fileTooSmall(size):
            return "not a safetensors file: \(size) bytes, too small for the 8-byte header length"
        case let .headerTooLarge(length, limit):
            return "safetensors header length \(length) exceeds the \(limit)-byte limit"
        case let .headerPastEnd(length, size):
            return "safetensors header length \(length) runs past the end of the \(size)-byte file"
        case .headerNotUTF8:
            return "safetensors header is not valid UTF-8"
        case let .headerNotJSON(why):
            return "safetensors header is not valid JSON (\(why))"
        case let .headerNotObject(kind):
            return "safetensors header must be a JSON object, found \(kind)"
        case let .badMetadata(why):
            return "safetensors __metadata__ \(why)"
        case let .badTensorEntry(name, problem):
            return "tensor '\(name)': \(problem)"
        case let .unknownDType(name, dtype):
            return "tensor '\(name)' has unknown dtype '\(dtype)'"
        case let .badShape(name, problem):
            return "tensor '\(name)' has a bad shape: \(problem)"
        case let .offsetsNotContiguous(name, expected, actual):
            return "tensor '\(name)' data starts at \(actual), expected \(expected) (tensors must be contiguous and start at 0)"
        case let .offsetsReversed(name, start, end):
            return "tensor '\(name)' has data_offsets [\(start), \(end)] with end before start"
        case let .sizeMismatch(name, declared, expected):
            return "tensor '\(name)' spans \(declared) bytes but its dtype and shape need \(expected)"
        case let .trailingBytes(dataEnd, size):
            return "tensor data ends at byte \(dataEnd) but the buffer is \(size) bytes (incomplete metadata or trailing data)"
        }
    }
}
