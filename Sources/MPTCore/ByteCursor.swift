/// A forward-only reader over a range of a `ByteStorage`. Every read names its endianness and
/// throws `CoreError.truncated` instead of reading past the end.
public struct ByteCursor: Sendable {
    /// The storage being read.
    public let storage: ByteStorage
    /// Absolute offset of the next byte.
    public private(set) var offset: Int
    /// Absolute end (exclusive) of the readable range.
    public let end: Int

    /// A cursor over `storage[start..<end]` (the whole storage by default).
    public init(_ storage: ByteStorage, start: Int = 0, end: Int? = nil) throws {
        let limit = end ?? storage.count
        try storage.checkRange(offset: start, length: limit - start, what: "cursor range")
        self.storage = storage
        self.offset = start
        self.end = limit
    }

    /// Bytes left.
    public var remaining: Int { end - offset }
    /// True when no bytes are left.
    public var isAtEnd: Bool { offset >= end }

    /// Throws unless `count` bytes remain.
    public func require(_ count: Int) throws {
        guard count >= 0, count <= remaining else {
            throw CoreError.truncated(offset: offset, needed: count, available: remaining)
        }
    }

    /// Skips `count` bytes.
    public mutating func skip(_ count: Int) throws {
        try require(count)
        offset += count
    }

    /// Moves to an absolute offset inside the range.
    public mutating func seek(to absolute: Int) throws {
        guard absolute >= 0, absolute <= end else {
            throw CoreError.truncated(offset: absolute, needed: 0, available: max(0, end - absolute))
        }
        offset = absolute
    }

    private mutating func readInteger<T: FixedWidthInteger>(_: T.Type, bigEndian: Bool) throws -> T {
        let size = MemoryLayout<T>.size
        try require(size)
        var value: T = 0
        guard let start = storage.bytes.baseAddress else {
            throw CoreError.truncated(offset: offset, needed: size, available: 0)
        }
        let base = start + offset
        for index in 0..<size {
            let byte = T(base.load(fromByteOffset: index, as: UInt8.self))
            value |= bigEndian ? byte << ((size - 1 - index) * 8) : byte << (index * 8)
        }
        offset += size
        return value
    }

    public mutating func readUInt8() throws -> UInt8 { try readInteger(UInt8.self, bigEndian: false) }
    public mutating func readInt8() throws -> Int8 { Int8(bitPattern: try readUInt8()) }
    public mutating func readUInt16LE() throws -> UInt16 { try readInteger(UInt16.self, bigEndian: false) }
    public mutating func readUInt32LE() throws -> UInt32 { try readInteger(UInt32.self, bigEndian: false) }
    public mutating func readUInt64LE() throws -> UInt64 { try readInteger(UInt64.self, bigEndian: false) }
    public mutating func readInt32LE() throws -> Int32 { Int32(bitPattern: try readUInt32LE()) }
    public mutating func readInt64LE() throws -> Int64 { Int64(bitPattern: try readUInt64LE()) }
    public mutating func readUInt16BE() throws -> UInt16 { try readInteger(UInt16.self, bigEndian: true) }
    public mutating func readUInt32BE() throws -> UInt32 { try readInteger(UInt32.self, bigEndian: true) }
    public mutating func readUInt64BE() throws -> UInt64 { try readInteger(UInt64.self, bigEndian: true) }
    public mutating func readFloat32LE() throws -> Float { Float(bitPattern: try readUInt32LE()) }
    public mutating func readFloat64LE() throws -> Double { Double(bitPattern: try readUInt64LE()) }
    public mutating func readFloat64BE() throws -> Double { Double(bitPattern: try readUInt64BE()) }

    /// Copies the next `count` bytes (checked against what remains before allocating).
    public mutating func readBytes(_ count: Int) throws -> [UInt8] {
        try require(count)
        let result = try storage.copyBytes(offset: offset, length: count)
        offset += count
        return result
    }

    /// Returns the absolute range of the next `count` bytes and skips them (zero-copy).
    public mutating func readRange(_ count: Int) throws -> Range<Int> {
        try require(count)
        let range = offset..<(offset + count)
        offset += count
        return range
    }

    /// Reads `count` bytes as UTF-8; `nil` if they are not valid UTF-8.
    public mutating func readUTF8(_ count: Int) throws -> String? {
        let raw = try readBytes(count)
        return String(validating: raw, as: UTF8.self)
    }
}
