/// Little-endian encoding of GGUF header structures into a byte array.
struct GGUFEncoder {
    var bytes: [UInt8] = []

    mutating func integer<T: FixedWidthInteger>(_ value: T) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }

    mutating func uint32(_ value: UInt32) { integer(value) }
    mutating func uint64(_ value: UInt64) { integer(value) }

    mutating func string(_ text: String) {
        let utf8 = Array(text.utf8)
        uint64(UInt64(utf8.count))
        bytes.append(contentsOf: utf8)
    }

    mutating func value(_ value: GGUFValue) {
        switch value {
        case let .uint8(raw): integer(raw)
        case let .int8(raw): integer(raw)
        case let .uint16(raw): integer(raw)
        case let .int16(raw): integer(raw)
        case let .uint32(raw): integer(raw)
        case let .int32(raw): integer(raw)
        case let .uint64(raw): integer(raw)
        case let .int64(raw): integer(raw)
        case let .float32(raw): integer(raw.bitPattern)
        case let .float64(raw): integer(raw.bitPattern)
        case let .bool(raw): integer(UInt8(raw ? 1 : 0))
        case let .string(text): string(text)
        case let .array(elementType, elements):
            uint32(elementType.rawValue)
            uint64(UInt64(elements.count))
            for element in elements { self.value(element) }
        }
    }
}
