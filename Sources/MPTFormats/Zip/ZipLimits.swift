/// Resource limits for reading zip archives from untrusted files.
public struct ZipLimits: Sendable, Equatable {
    /// Largest declared uncompressed size accepted for a deflated entry (it is inflated into memory).
    public var maxInflatedEntrySize: Int
    /// Largest number of central directory entries accepted.
    public var maxEntries: Int
    /// Verify the CRC-32 of stored entries too (deflated entries are always verified). Costs one
    /// pass over the data, so it is off by default for multi-gigabyte checkpoints.
    public var verifyStoredChecksums: Bool

    /// Limits with an explicit inflate cap.
    public init(maxInflatedEntrySize: Int = 4 << 30, maxEntries: Int = 1_000_000, verifyStoredChecksums: Bool = false) {
        self.maxInflatedEntrySize = maxInflatedEntrySize
        self.maxEntries = maxEntries
        self.verifyStoredChecksums = verifyStoredChecksums
    }

    /// 4 GiB inflate cap, one million entries, stored entries not checksummed.
    public static let `default` = ZipLimits()
}
