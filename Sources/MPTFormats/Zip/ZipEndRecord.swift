import MPTCore

/// Where the central directory is, from the end record (and its ZIP64 twin when present).
struct ZipEndRecord {
    /// Number of central directory records.
    let entryCount: Int
    /// Size of the central directory in bytes.
    let size: Int
    /// Absolute offset of the central directory.
    let offset: Int

    private static let fixedSize = 22
    private static let locatorSize = 20
    private static let maxCommentLength = 0xFFFF

    /// Scans backwards for the end record (it may be followed by a comment of up to 64 KiB).
    static func locate(in storage: ByteStorage) throws -> ZipEndRecord {
        guard storage.count >= fixedSize else { throw ZipError.missingEndRecord }
        let lowest = max(0, storage.count - fixedSize - maxCommentLength)
        var candidate = storage.count - fixedSize
        while candidate >= lowest {
            var cursor = try ByteCursor(storage, start: candidate)
            if try cursor.readUInt32LE() == ZipSignature.endRecord {
                // The comment must run exactly to the end of the file for this to be the real record.
                var probe = cursor
                try probe.skip(16)
                let commentLength = Int(try probe.readUInt16LE())
                if candidate + fixedSize + commentLength == storage.count {
                    return try parse(cursor: cursor, recordOffset: candidate, storage: storage)
                }
            }
            candidate -= 1
        }
        throw ZipError.missingEndRecord
    }

    private static func parse(cursor start: ByteCursor, recordOffset: Int, storage: ByteStorage) throws -> ZipEndRecord {
        var cursor = start
        let diskNumber = try cursor.readUInt16LE()
        let directoryDisk = try cursor.readUInt16LE()
        let entriesOnDisk = try cursor.readUInt16LE()
        let totalEntries = try cursor.readUInt16LE()
        let directorySize = try cursor.readUInt32LE()
        let directoryOffset = try cursor.readUInt32LE()
        let needsZip64 = diskNumber == 0xFFFF || directoryDisk == 0xFFFF || entriesOnDisk == 0xFFFF
            || totalEntries == 0xFFFF || directorySize == 0xFFFF_FFFF || directoryOffset == 0xFFFF_FFFF
        if let zip64 = try readZip64(beforeEndRecordAt: recordOffset, storage: storage) {
            return zip64
        }
        if needsZip64 { throw ZipError.badZip64Record("the end record needs ZIP64 values but there is no ZIP64 locator") }
        guard diskNumber == 0, directoryDisk == 0, entriesOnDisk == totalEntries else { throw ZipError.multiDisk }
        return ZipEndRecord(entryCount: Int(totalEntries), size: Int(directorySize), offset: Int(directoryOffset))
    }

    /// Reads the ZIP64 locator (just before the end record) and the ZIP64 end record it points to.
    private static func readZip64(beforeEndRecordAt recordOffset: Int, storage: ByteStorage) throws -> ZipEndRecord? {
        let locatorOffset = recordOffset - locatorSize
        guard locatorOffset >= 0 else { return nil }
        var locator = try ByteCursor(storage, start: locatorOffset, end: recordOffset)
        guard try locator.readUInt32LE() == ZipSignature.zip64Locator else { return nil }
        let recordDisk = try locator.readUInt32LE()
        let recordOffset64 = try locator.readUInt64LE()
        let totalDisks = try locator.readUInt32LE()
        guard recordDisk == 0, totalDisks <= 1 else { throw ZipError.multiDisk }
        guard let zip64Offset = Int(exactly: recordOffset64), zip64Offset >= 0, zip64Offset <= locatorOffset - 56 else {
            throw ZipError.badZip64Record("locator points to byte \(recordOffset64), outside the file")
        }
        var cursor = try ByteCursor(storage, start: zip64Offset, end: locatorOffset)
        guard try cursor.readUInt32LE() == ZipSignature.zip64EndRecord else {
            throw ZipError.badZip64Record("no ZIP64 end record signature at byte \(zip64Offset)")
        }
        try cursor.skip(8 + 2 + 2)  // record size, version made by, version needed
        let diskNumber = try cursor.readUInt32LE()
        let directoryDisk = try cursor.readUInt32LE()
        let entriesOnDisk = try cursor.readUInt64LE()
        let totalEntries = try cursor.readUInt64LE()
        let directorySize = try cursor.readUInt64LE()
        let directoryOffset = try cursor.readUInt64LE()
        guard diskNumber == 0, directoryDisk == 0, entriesOnDisk == totalEntries else { throw ZipError.multiDisk }
        return ZipEndRecord(
            entryCount: try Checked.int(totalEntries, "ZIP64 entry count"),
            size: try Checked.int(directorySize, "ZIP64 central directory size"),
            offset: try Checked.int(directoryOffset, "ZIP64 central directory offset"))
    }
}
