/// The type tags of GGUF metadata values (`gguf_type`).
public enum GGUFValueType: UInt32, Sendable, CaseIterable, CustomStringConvertible {
    case uint8 = 0
    case int8 = 1
    case uint16 = 2
    case int16 = 3
    case uint32 = 4
    case int32 = 5
    case float32 = 6
    case bool = 7
    case string = 8
    case array = 9
    case uint64 = 10
    case int64 = 11
    case float64 = 12

    /// Bytes one value of this type occupies at least (fixed size for scalars; the length
    /// prefix for strings; type tag plus count for arrays). Used to bound counts before allocating.
    public var minimumEncodedSize: Int {
        switch self {
        case .uint8, .int8, .bool: return 1
        case .uint16, .int16: return 2
        case .uint32, .int32, .float32: return 4
        case .uint64, .int64, .float64: return 8
        case .string: return 8
        case .array: return 4 + 8
        }
    }

    /// The gguf-py spelling, e.g. `UINT32`.
    public var description: String {
        switch self {
        case .uint8: return "UINT8"
        case .int8: return "INT8"
        case .uint16: return "UINT16"
        case .int16: return "INT16"
        case .uint32: return "UINT32"
        case .int32: return "INT32"
        case .float32: return "FLOAT32"
        case .bool: return "BOOL"
        case .string: return "STRING"
        case .array: return "ARRAY"
        case .uint64: return "UINT64"
        case .int64: return "INT64"
        case .float64: return "FLOAT64"
        }
    }
}
