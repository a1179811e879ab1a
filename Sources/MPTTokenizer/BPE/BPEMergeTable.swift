/// Open-addressing hash table from a pair of token ids to the merge's rank and result id.
/// Keys are `left << 32 | right`; ids are below 2^24 so the all-ones key marks an empty slot.
struct BPEMergeTable: Sendable {
    private static let empty = UInt64.max
    private var keys: [UInt64]
    private var values: [UInt64]
    private let shift: UInt64
    private let mask: Int

    /// A table sized for `count` merges.
    init(capacityFor count: Int) {
        var size = 16
        while size < count * 2 { size *= 2 }
        keys = [UInt64](repeating: Self.empty, count: size)
        values = [UInt64](repeating: 0, count: size)
        mask = size - 1
        shift = UInt64(64 - size.trailingZeroBitCount)
    }

    @inline(__always)
    private func slot(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> shift)
    }

    /// Sets the merge of `(left, right)`, replacing an earlier one (HF keeps the last).
    mutating func set(left: UInt32, right: UInt32, rank: UInt32, result: UInt32) {
        let key = UInt64(left) << 32 | UInt64(right)
        var index = slot(key)
        while keys[index] != Self.empty && keys[index] != key { index = (index + 1) & mask }
        keys[index] = key
        values[index] = UInt64(rank) << 32 | UInt64(result)
    }

    /// `(rank << 32 | result)` for the pair, or `nil`.
    @inline(__always)
    func lookup(left: UInt32, right: UInt32) -> UInt64? {
        let key = UInt64(left) << 32 | UInt64(right)
        var index = slot(key)
        return keys.withUnsafeBufferPointer { keys in
            while true {
                let found = keys[index]
                if found == key { return values[index] }
                if found == Self.empty { return nil }
                index = (index + 1) & mask
            }
        }
    }
}
