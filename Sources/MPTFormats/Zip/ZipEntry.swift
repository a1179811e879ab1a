/// One file inside a zip archive, as its central directory and local header describe it.
public struct ZipEntry: Sendable, Equatable {
    /// Compression methods this reader understands.
    public enum Method: Sendable, Equatable {
        /// Method 0: bytes stored as-is (zero-copy).
        case stored
        /// Method 8: raw deflate.
        case deflated
    }

    /// The entry's path inside the archive (e.g. `archive/data/0`).
    public let name: String
    /// How the data is compressed.
    public let method: Method
    /// CRC-32 of the uncompressed bytes, from the central directory.
    public let crc32: UInt32
    /// Size of the data as stored in the file.
    public let compressedSize: Int
    /// Size after decompression.
    public let uncompressedSize: Int
    /// Absolute file offset of the first data byte (after the local header).
    public let dataOffset: Int
}
