/// A bounded cache from a pre-tokenized word (its bytes) to its BPE ids, local to one encoding
/// run. Like HF's cache it stops inserting when full; it never changes results.
struct BPEWordCache {
    private struct Entry {
        var hash: UInt64
        var keyStart: Int32
        var keyLength: Int32
        var valueStart: Int32
        var valueLength: Int32
    }

    /// Words at least this long are not cached (HF: 256 characters).
    static let maxWordLength = 256
    private static let slotCount = 1 << 16
    private static let maxEntries = slotCount / 2

    private var slots = [Int32](repeating: -1, count: slotCount)
    private var entries: [Entry] = []
    private var keyBytes: [UInt8] = []
    private var valueIds: [UInt32] = []

    init() {}

    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        return hash
    }

    /// Appends the cached ids of `word` to `output`; false when not cached.
    @inline(__always)
    func appendCached(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, to output: inout [UInt32]) -> Bool {
        var slot = Int(truncatingIfNeeded: hash >> 48)
        while true {
            let entryIndex = slots[slot]
            if entryIndex < 0 { return false }
            let entry = entries[Int(entryIndex)]
            if entry.hash == hash, Int(entry.keyLength) == word.count,
               keyBytes.withUnsafeBufferPointer({ keys in
                   memcmpEqual(UnsafeBufferPointer(rebasing: keys[Int(entry.keyStart)..<Int(entry.keyStart + entry.keyLength)]), word)
               }) {
                let start = Int(entry.valueStart)
                output.append(contentsOf: valueIds[start..<start + Int(entry.valueLength)])
                return true
            }
            slot = (slot + 1) & (Self.slotCount - 1)
        }
    }

    /// Remembers `ids` for `word` if there is room.
    mutating func insert(_ word: UnsafeBufferPointer<UInt8>, hash: UInt64, ids: ArraySlice<UInt32>) {
        guard entries.count < Self.maxEntries, word.count < Self.maxWordLength else { return }
        var slot = Int(truncatingIfNeeded: hash >> 48)
        while slots[slot] >= 0 { slot = (slot + 1) & (Self.slotCount - 1) }
        slots[slot] = Int32(entries.count)
        entries.append(Entry(hash: hash, keyStart: Int32(keyBytes.count), keyLength: Int32(word.count),
                             valueStart: Int32(valueIds.count), valueLength: Int32(ids.count)))
        keyBytes.append(contentsOf: word)
        valueIds.append(contentsOf: ids)
    }
}

@inline(__always)
private func memcmpEqual(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
    guard a.count == b.count else { return false }
    var index = 0
    while index < a.count {
        if a[index] != b[index] { return false }
        index += 1
    }
    return true
}
