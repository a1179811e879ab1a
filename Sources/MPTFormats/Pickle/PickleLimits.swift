/// Resource limits for evaluating an untrusted pickle. Every allocation the machine makes is also
/// bounded by the bytes remaining in the stream.
public struct PickleLimits: Sendable, Equatable {
    /// Deepest nesting of containers (and of MARKs) accepted.
    public var maxDepth: Int
    /// Most values the stack may hold.
    public var maxStackSize: Int
    /// Most memo entries.
    public var maxMemoSize: Int
    /// Longest string or bytes value.
    public var maxStringLength: Int

    /// Limits far above what any torch checkpoint needs (a state dict nests about four levels).
    public init(maxDepth: Int = 100, maxStackSize: Int = 1 << 20, maxMemoSize: Int = 1 << 22, maxStringLength: Int = 1 << 26) {
        self.maxDepth = maxDepth
        self.maxStackSize = maxStackSize
        self.maxMemoSize = maxMemoSize
        self.maxStringLength = maxStringLength
    }

    /// The default limits.
    public static let `default` = PickleLimits()
}
