import MPTCore

/// One central directory file header, with ZIP64 extra fields applied.
struct ZipCentralRecord {
    static let fixedSize = 46
    private static let localHeaderSize = 30
    private static let zip64ExtraTag: UInt16 = 0x0001

    let name: String
    let flags: UInt16
    let method: UInt16
    let crc32: UInt32
    let compressedSize: Int
    let uncompressedSize: Int
    let localHeaderOffset: Int

    /// Reads one record at the cursor and advances past it.
    static func read(from cursor: inout ByteCursor) throws -> ZipCentralRecord {
        let recordOffset = cursor.offset
        func bad(_ reason: String) -> ZipError { .badCentralDirectory(offset: recordOffset, reason: reason) }
        guard cursor.remaining >= fixedSize else { throw bad("truncated record") }
        guard try cursor.readUInt32LE() == ZipSignature.centralRecord else { throw bad("wrong signature") }
        try cursor.skip(4)  // version made by, version needed
        let flags = try cursor.readUInt16LE()
        let method = try cursor.readUInt16LE()
        try cursor.skip(4)  // time, date
        let crc32 = try cursor.readUInt32LE()
        var compressed = UInt64(try cursor.readUInt32LE())
        var uncompressed = UInt64(try cursor.readUInt32LE())
        let nameLength = Int(try cursor.readUInt16LE())
        let extraLength = Int(try cursor.readUInt16LE())
        let commentLength = Int(try cursor.readUInt16LE())
        let diskStart = try cursor.readUInt16LE()
        try cursor.skip(6)  // internal and external attributes
        var localOffset = UInt64(try cursor.readUInt32LE())
        guard cursor.remaining >= nameLength + extraLength + commentLength else { throw bad("name, extra and comment run past the directory") }
        guard let name = try cursor.readUTF8(nameLength) else { throw bad("entry name is not UTF-8") }
        let extraStart = cursor.offset
        try cursor.skip(extraLength)
        try cursor.skip(commentLength)

        // ZIP64 extra field: 64-bit values for exactly those fields that are saturated, in this order.
        var extra = try ByteCursor(cursor.storage, start: extraStart, end: extraStart + extraLength)
        while extra.remaining >= 4 {
            let tag = try extra.readUInt16LE()
            let size = Int(try extra.readUInt16LE())
            guard size <= extra.remaining else { throw bad("extra field of \(size) bytes runs past the record") }
            var field = try ByteCursor(cursor.storage, start: extra.offset, end: extra.offset + size)
            try extra.skip(size)
            guard tag == zip64ExtraTag else { continue }
            func wide(_ value: inout UInt64, saturated: Bool, _ what: String) throws {
                guard saturated else { return }
                guard field.remaining >= 8 else { throw bad("ZIP64 extra field lacks the \(what)") }
                value = try field.readUInt64LE()
            }
            try wide(&uncompressed, saturated: uncompressed == 0xFFFF_FFFF, "uncompressed size")
            try wide(&compressed, saturated: compressed == 0xFFFF_FFFF, "compressed size")
            try wide(&localOffset, saturated: localOffset == 0xFFFF_FFFF, "local header offset")
        }
        guard diskStart == 0 || diskStart == 0xFFFF else { throw ZipError.multiDisk }
        return ZipCentralRecord(
            name: name, flags: flags, method: method, crc32: crc32,
            compressedSize: try Checked.int(compressed, "compressed size of zip entry '\(name)'"),
            uncompressedSize: try Checked.int(uncompressed, "uncompressed size of zip entry '\(name)'"),
            localHeaderOffset: try Checked.int(localOffset, "local header offset of zip entry '\(name)'"))
    }

    /// Reads the local header to find where the data starts, and checks the data lies in the file.
    func locateData(in storage: ByteStorage) throws -> ZipEntry {
        guard flags & 0x0001 == 0 else { throw ZipError.encrypted(name) }
        let entryMethod: ZipEntry.Method
        switch method {
        case 0:
            entryMethod = .stored
            guard compressedSize == uncompressedSize else {
                throw ZipError.storedSizeMismatch(entry: name, compressed: compressedSize, uncompressed: uncompressedSize)
            }
        case 8: entryMethod = .deflated
        default: throw ZipError.unsupportedCompression(entry: name, method: Int(method))
        }
        let headerEnd = try Checked.add(localHeaderOffset, Self.localHeaderSize, "local header of '\(name)'")
        guard headerEnd <= storage.count else {
            throw ZipError.badLocalHeader(entry: name, reason: "header at byte \(localHeaderOffset) lies outside the file")
        }
        var cursor = try ByteCursor(storage, start: localHeaderOffset)
        guard try cursor.readUInt32LE() == ZipSignature.localHeader else {
            throw ZipError.badLocalHeader(entry: name, reason: "wrong signature at byte \(localHeaderOffset)")
        }
        try cursor.skip(22)
        let nameLength = Int(try cursor.readUInt16LE())
        let extraLength = Int(try cursor.readUInt16LE())
        let dataOffset = try Checked.add(headerEnd, nameLength + extraLength, "data offset of '\(name)'")
        let dataEnd = try Checked.add(dataOffset, compressedSize, "data end of '\(name)'")
        guard dataEnd <= storage.count else {
            throw ZipError.entryOutOfBounds(entry: name, end: dataEnd, fileSize: storage.count)
        }
        return ZipEntry(
            name: name, method: entryMethod, crc32: crc32, compressedSize: compressedSize,
            uncompressedSize: uncompressedSize, dataOffset: dataOffset)
    }
}
