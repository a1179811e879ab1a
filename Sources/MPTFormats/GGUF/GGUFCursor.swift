import MPTCore

/// A `ByteCursor` whose reads name what they read, so truncation errors say where a GGUF file ends.
struct GGUFCursor {
    private(set) var bytes: ByteCursor

    init(_ storage: ByteStorage) throws {
        bytes = try ByteCursor(storage)
    }

    var offset: Int { bytes.offset }
    var remaining: Int { bytes.remaining }

    private func need(_ count: Int, _ what: @autoclosure () -> String) throws {
        guard count <= bytes.remaining else {
            throw GGUFError.truncated(what: what(), offset: bytes.offset, needed: count, available: bytes.remaining)
        }
    }

    mutating func uint8(_ what: @autoclosure () -> String) throws -> UInt8 {
        try need(1, what()); return try bytes.readUInt8()
    }
    mutating func uint16(_ what: @autoclosure () -> String) throws -> UInt16 {
        try need(2, what()); return try bytes.readUInt16LE()
    }
    mutating func uint32(_ what: @autoclosure () -> String) throws -> UInt32 {
        try need(4, what()); return try bytes.readUInt32LE()
    }
    mutating func uint64(_ what: @autoclosure () -> String) throws -> UInt64 {
        try need(8, what()); return try bytes.readUInt64LE()
    }

    /// Raw bytes (checked against what remains first).
    mutating func rawBytes(_ count: Int, _ what: @autoclosure () -> String) throws -> [UInt8] {
        try need(count, what()); return try bytes.readBytes(count)
    }

    /// Throws unless `count` items of at least `minimumSize` bytes each can fit in what remains.
    func checkCount(_ count: UInt64, minimumSize: Int, _ what: @autoclosure () -> String) throws -> Int {
        let fits = count <= UInt64(bytes.remaining) / UInt64(max(minimumSize, 1))
        guard fits, let value = Int(exactly: count) else {
            throw GGUFError.countTooLarge(what: what(), count: count, offset: bytes.offset, remaining: bytes.remaining)
        }
        return value
    }

    /// A `gguf_string`: UInt64 length, then that many UTF-8 bytes (no terminator).
    mutating func string(_ what: @autoclosure () -> String) throws -> String {
        let start = bytes.offset
        let length = try uint64("length of \(what())")
        guard length <= UInt64(bytes.remaining), let count = Int(exactly: length) else {
            throw GGUFError.truncated(
                what: what(), offset: bytes.offset,
                needed: Int(clamping: length), available: bytes.remaining)
        }
        let text = try bytes.storage.withBytes(offset: bytes.offset, length: count) { raw in
            String(validating: raw, as: UTF8.self)
        }
        guard let text else { throw GGUFError.invalidUTF8(what: what(), offset: start) }
        try bytes.skip(count)
        return text
    }

    /// Moves forward to the next multiple of `alignment` (which must be a power of two).
    mutating func align(to alignment: Int, _ what: @autoclosure () -> String) throws {
        let misalignment = bytes.offset % alignment
        if misalignment == 0 { return }
        let padding = alignment - misalignment
        try need(padding, what())
        try bytes.skip(padding)
    }
}
