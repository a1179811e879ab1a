/// One typed GGUF metadata value. Arrays carry their element type so that an empty array keeps
/// it, and every element must have that type (nested arrays may differ from each other).
public enum GGUFValue: Sendable, Equatable {
    case uint8(UInt8)
    case int8(Int8)
    case uint16(UInt16)
    case int16(Int16)
    case uint32(UInt32)
    case int32(Int32)
    case float32(Float)
    case bool(Bool)
    case string(String)
    case uint64(UInt64)
    case int64(Int64)
    case float64(Double)
    /// Elements all of `elementType`.
    case array(elementType: GGUFValueType, elements: [GGUFValue])

    /// The value's type tag.
    public var type: GGUFValueType {
        switch self {
        case .uint8: return .uint8
        case .int8: return .int8
        case .uint16: return .uint16
        case .int16: return .int16
        case .uint32: return .uint32
        case .int32: return .int32
        case .float32: return .float32
        case .bool: return .bool
        case .string: return .string
        case .uint64: return .uint64
        case .int64: return .int64
        case .float64: return .float64
        case .array: return .array
        }
    }

    /// The string, if this is a string value.
    public var stringValue: String? {
        if case let .string(value) = self { return value }
        return nil
    }

    /// Any integer value as `Int` when it fits exactly (bools are not integers here).
    public var intValue: Int? {
        switch self {
        case let .uint8(value): return Int(value)
        case let .int8(value): return Int(value)
        case let .uint16(value): return Int(value)
        case let .int16(value): return Int(value)
        case let .uint32(value): return Int(value)
        case let .int32(value): return Int(value)
        case let .uint64(value): return Int(exactly: value)
        case let .int64(value): return Int(value)
        default: return nil
        }
    }

    /// Any float value as `Double`.
    public var doubleValue: Double? {
        switch self {
        case let .float32(value): return Double(value)
        case let .float64(value): return value
        default: return nil
        }
    }

    /// The bool, if this is a bool value.
    public var boolValue: Bool? {
        if case let .bool(value) = self { return value }
        return nil
    }

    /// The elements, if this is an array.
    public var arrayElements: [GGUFValue]? {
        if case let .array(_, elements) = self { return elements }
        return nil
    }

    /// A string array built from Swift strings.
    public static func strings(_ values: [String]) -> GGUFValue {
        .array(elementType: .string, elements: values.map { .string($0) })
    }

    /// A FLOAT32 array.
    public static func float32s(_ values: [Float]) -> GGUFValue {
        .array(elementType: .float32, elements: values.map { .float32($0) })
    }

    /// An INT32 array.
    public static func int32s(_ values: [Int32]) -> GGUFValue {
        .array(elementType: .int32, elements: values.map { .int32($0) })
    }
}
