import MPTFormats

/// Resource limits for reading an untrusted `tokenizer.json`, the one set every reader uses.
public struct TokenizerLimits: Sendable, Equatable {
    /// Largest file accepted, in bytes (the largest real tokenizer.json files are a few tens of MB).
    public var maxFileBytes: Int
    /// Token ids must be below this: the tokenizer keeps per-id tables, so the bound caps their
    /// size (real vocabularies stay far below it). At most 2^24.
    public var idLimit: Int
    /// Deepest JSON nesting accepted.
    public var maxJSONDepth: Int

    /// Creates limits; the defaults fit every published byte-level BPE tokenizer.
    public init(maxFileBytes: Int = 128 << 20, idLimit: Int = 1 << 21, maxJSONDepth: Int = JSONParser.defaultMaxDepth) {
        self.maxFileBytes = maxFileBytes
        self.idLimit = min(max(idLimit, 0), 1 << 24)
        self.maxJSONDepth = maxJSONDepth
    }

    /// The default limits.
    public static let `default` = TokenizerLimits()
}
