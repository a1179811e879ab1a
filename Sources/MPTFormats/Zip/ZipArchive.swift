import MPTCore

/// A zip archive read from a `ByteStorage` (usually a memory map): its central directory, with
/// every entry's data located and bounds-checked. Supports ZIP64 (archives and entries over 4 GiB).
///
/// Stored entries are zero-copy slices of the archive's storage; deflated entries are inflated
/// into memory on request, under `ZipLimits.maxInflatedEntrySize`.
public struct ZipArchive: Sendable {
    /// The archive's bytes.
    public let storage: ByteStorage
    /// Entries in central directory order.
    public let entries: [ZipEntry]
    /// The limits this archive was opened with.
    public let limits: ZipLimits
    private let indexByName: [String: Int]

    /// Parses the central directory of `storage`.
    public init(storage: ByteStorage, limits: ZipLimits = .default) throws {
        self.storage = storage
        self.limits = limits
        let directory = try ZipEndRecord.locate(in: storage)
        guard directory.entryCount <= limits.maxEntries else {
            throw ZipError.tooManyEntries(declared: directory.entryCount, limit: limits.maxEntries)
        }
        // Every central record is at least 46 bytes: check the count against the bytes before allocating.
        let minimumBytes = try Checked.multiply(directory.entryCount, ZipCentralRecord.fixedSize, "zip central directory size")
        guard minimumBytes <= directory.size else {
            throw ZipError.tooManyEntries(declared: directory.entryCount, limit: directory.size / ZipCentralRecord.fixedSize)
        }
        let directoryEnd = try Checked.add(directory.offset, directory.size, "zip central directory end")
        guard directory.offset >= 0, directoryEnd <= storage.count else {
            throw ZipError.badCentralDirectory(offset: directory.offset, reason: "directory of \(directory.size) bytes lies outside the file (\(storage.count) bytes)")
        }
        var cursor = try ByteCursor(storage, start: directory.offset, end: directoryEnd)
        var entries: [ZipEntry] = []
        entries.reserveCapacity(directory.entryCount)
        var indexByName: [String: Int] = [:]
        for _ in 0..<directory.entryCount {
            let record = try ZipCentralRecord.read(from: &cursor)
            let entry = try record.locateData(in: storage)
            guard indexByName[entry.name] == nil else { throw ZipError.duplicateEntry(entry.name) }
            indexByName[entry.name] = entries.count
            entries.append(entry)
        }
        self.entries = entries
        self.indexByName = indexByName
    }

    /// Maps the file at `path` and parses it.
    public init(path: String, limits: ZipLimits = .default) throws {
        try self.init(storage: ByteStorage(mappingFileAt: path), limits: limits)
    }

    /// The entry called `name`, if any.
    public func entry(named name: String) -> ZipEntry? {
        indexByName[name].map { entries[$0] }
    }

    /// True when `storage` starts with a zip local file header signature (`PK\x03\x04`).
    public static func looksLikeZip(_ storage: ByteStorage) -> Bool {
        guard var cursor = try? ByteCursor(storage), let signature = try? cursor.readUInt32LE() else { return false }
        return signature == ZipSignature.localHeader
    }
}

/// A located run of bytes: an entry's uncompressed contents.
public struct ZipEntryBytes: Sendable {
    /// The storage holding the bytes (the archive for stored entries, a new buffer for deflated ones).
    public let storage: ByteStorage
    /// Offset of the first byte inside `storage`.
    public let offset: Int
    /// Number of bytes.
    public let count: Int

    /// A copy of the bytes (for small entries such as `data.pkl` or `byteorder`).
    public func copy() throws -> [UInt8] {
        try storage.copyBytes(offset: offset, length: count)
    }
}

/// Zip record signatures (little-endian `PK..`).
enum ZipSignature {
    static let localHeader: UInt32 = 0x0403_4b50
    static let centralRecord: UInt32 = 0x0201_4b50
    static let endRecord: UInt32 = 0x0605_4b50
    static let zip64EndRecord: UInt32 = 0x0606_4b50
    static let zip64Locator: UInt32 = 0x0706_4b50
}
