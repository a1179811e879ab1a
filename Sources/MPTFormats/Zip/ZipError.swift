/// Problems found while reading a zip archive (the container of PyTorch `.bin` checkpoints).
public enum ZipError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No end-of-central-directory record in the last 64 KiB: not a zip file, or truncated.
    case missingEndRecord
    /// The ZIP64 locator or end record is missing or malformed.
    case badZip64Record(String)
    /// Multi-disk (spanned) archives are not supported.
    case multiDisk
    /// A central directory record at `offset` does not start with the right signature, or runs out of bounds.
    case badCentralDirectory(offset: Int, reason: String)
    /// The local header of `entry` is missing or malformed.
    case badLocalHeader(entry: String, reason: String)
    /// The entry's data does not fit inside the file.
    case entryOutOfBounds(entry: String, end: Int, fileSize: Int)
    /// Two entries with one name.
    case duplicateEntry(String)
    /// The archive declares more entries than the limit or than its central directory can hold.
    case tooManyEntries(declared: Int, limit: Int)
    /// Encrypted entries are not supported.
    case encrypted(String)
    /// A compression method other than stored (0) or deflate (8).
    case unsupportedCompression(entry: String, method: Int)
    /// A stored entry whose compressed and uncompressed sizes differ.
    case storedSizeMismatch(entry: String, compressed: Int, uncompressed: Int)
    /// A deflated entry declares more bytes than the inflate cap allows (zip bomb guard).
    case inflatedSizeOverCap(entry: String, declared: Int, cap: Int)
    /// A deflated entry declares more bytes than its compressed size can inflate to (deflate
    /// expands at most 1032:1), checked before allocating the declared size.
    case declaredSizeBeyondDeflateRatio(entry: String, compressed: Int, declared: Int)
    /// Inflating produced more bytes than the entry declares (zip bomb guard).
    case inflatedPastDeclaredSize(entry: String, declared: Int)
    /// Inflating ended before the declared size was reached.
    case inflatedShort(entry: String, declared: Int, produced: Int)
    /// zlib reported an error.
    case inflateFailed(entry: String, reason: String)
    /// The entry's CRC-32 does not match its bytes.
    case checksumMismatch(entry: String, expected: UInt32, actual: UInt32)
    /// No entry with this name.
    case missingEntry(String)

    public var description: String {
        switch self {
        case .missingEndRecord:
            return "no zip end-of-central-directory record found (not a zip file, or truncated)"
        case let .badZip64Record(why):
            return "bad ZIP64 end record: \(why)"
        case .multiDisk:
            return "multi-disk (spanned) zip archives are not supported"
        case let .badCentralDirectory(offset, reason):
            return "bad zip central directory record at byte \(offset): \(reason)"
        case let .badLocalHeader(entry, reason):
            return "bad zip local header for entry '\(entry)': \(reason)"
        case let .entryOutOfBounds(entry, end, fileSize):
            return "zip entry '\(entry)' ends at byte \(end), past the end of the file (\(fileSize) bytes)"
        case let .duplicateEntry(name):
            return "zip entry '\(name)' appears more than once"
        case let .tooManyEntries(declared, limit):
            return "zip archive declares \(declared) entries, more than the limit of \(limit)"
        case let .encrypted(name):
            return "zip entry '\(name)' is encrypted, which is not supported"
        case let .unsupportedCompression(entry, method):
            return "zip entry '\(entry)' uses compression method \(method); only stored (0) and deflate (8) are supported"
        case let .storedSizeMismatch(entry, compressed, uncompressed):
            return "stored zip entry '\(entry)' has compressed size \(compressed) but uncompressed size \(uncompressed)"
        case let .inflatedSizeOverCap(entry, declared, cap):
            return "deflated zip entry '\(entry)' declares \(declared) bytes, over the inflate cap of \(cap) bytes (possible zip bomb)"
        case let .declaredSizeBeyondDeflateRatio(entry, compressed, declared):
            return "deflated zip entry '\(entry)' declares \(declared) bytes, more than its \(compressed) compressed bytes can inflate to"
        case let .inflatedPastDeclaredSize(entry, declared):
            return "deflated zip entry '\(entry)' inflates past its declared size of \(declared) bytes (possible zip bomb)"
        case let .inflatedShort(entry, declared, produced):
            return "deflated zip entry '\(entry)' inflates to \(produced) bytes, less than its declared \(declared)"
        case let .inflateFailed(entry, reason):
            return "inflating zip entry '\(entry)' failed: \(reason)"
        case let .checksumMismatch(entry, expected, actual):
            return "zip entry '\(entry)' has CRC-32 \(hex(actual)) but its header says \(hex(expected))"
        case let .missingEntry(name):
            return "zip archive has no entry '\(name)'"
        }
    }

    private func hex(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return "0x" + String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }
}
