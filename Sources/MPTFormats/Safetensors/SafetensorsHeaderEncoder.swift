import MPTCore

/// Encodes the front of a safetensors file: the 8-byte little-endian header length, then the
/// compact JSON header (`__metadata__` first with sorted keys, then the tensors in the order given),
/// padded with spaces to a multiple of 8.
enum SafetensorsHeaderEncoder {
    /// One header entry; offsets are relative to the data section.
    struct Entry {
        var name: String
        var dtype: DType
        var shape: Shape
        var start: Int
        var end: Int
    }

    static func encode(entries: [Entry], metadata: [String: String]) -> [UInt8] {
        encode(entries: entries, metadata: metadata, spacesTo: nil) ?? []
    }

    /// The front of the file padded with spaces to exactly `length` bytes (8-byte length field
    /// included), or nil when the header does not fit in `length` or `length` is not a multiple
    /// of 8. JSON allows the trailing whitespace; readers parse past it.
    static func encode(entries: [Entry], metadata: [String: String], exactLength length: Int) -> [UInt8]? {
        guard length >= 16, length % 8 == 0 else { return nil }
        return encode(entries: entries, metadata: metadata, spacesTo: length - 8)
    }

    private static func encode(entries: [Entry], metadata: [String: String], spacesTo target: Int?) -> [UInt8]? {
        var members: [(key: String, value: JSONValue)] = []
        if !metadata.isEmpty {
            members.append(("__metadata__", .object(metadata.sorted { $0.key < $1.key }.map { (key: $0.key, value: JSONValue.string($0.value)) })))
        }
        for entry in entries {
            members.append((entry.name, .object([
                ("dtype", .string(entry.dtype.rawValue)),
                ("shape", .array(entry.shape.dims.map { .int($0) })),
                ("data_offsets", .array([.int(entry.start), .int(entry.end)])),
            ])))
        }
        var header = Array(JSONWriter.compact(.object(members)).utf8)
        let padding = target.map { $0 - header.count } ?? (8 - header.count % 8) % 8
        guard padding >= 0 else { return nil }
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: padding))
        let length = UInt64(header.count)
        return (0..<8).map { UInt8(truncatingIfNeeded: length >> (8 * $0)) } + header
    }
}
