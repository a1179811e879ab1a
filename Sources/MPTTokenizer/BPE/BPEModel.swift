/// The BPE model of a byte-level tokenizer: a word's bytes start as one symbol each (the vocab
/// id of the byte's alphabet scalar), then merges are applied lowest rank first, leftmost first
/// — a port of HF `Word::merge_all` (a min-heap keyed on (rank, position) whose stale entries are
/// recognised by the merge result only, so it reproduces HF exactly, quirks included).
struct BPEModel: Sendable {
    /// Vocab id of each byte's one-scalar token, or -1 when the vocab lacks it.
    let byteIds: [Int32]
    /// Pair → rank and result.
    let merges: BPEMergeTable
    /// The id of `unk_token`, or -1 without one (unknown bytes are then dropped, as in HF).
    let unknownId: Int32
    /// Whether consecutive unknown bytes become one unknown token.
    let fuseUnknown: Bool

    /// Reusable buffers for one thread of work.
    struct Scratch {
        var symbols: [UInt32] = []
        var previous: [Int32] = []
        var next: [Int32] = []
        var alive: [Bool] = []
        var heap = MergeHeap()
    }

    /// Appends the ids of one pre-tokenized word (raw bytes) to `output`.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into output: inout [UInt32], scratch: inout Scratch) {
        scratch.symbols.removeAll(keepingCapacity: true)
        var pendingUnknown = false
        for byte in word {
            let id = byteIds[Int(byte)]
            if id >= 0 {
                if pendingUnknown { scratch.symbols.append(UInt32(unknownId)); pendingUnknown = false }
                scratch.symbols.append(UInt32(id))
            } else if unknownId >= 0 {
                if pendingUnknown && !fuseUnknown { scratch.symbols.append(UInt32(unknownId)) }
                pendingUnknown = true
            }
        }
        if pendingUnknown { scratch.symbols.append(UInt32(unknownId)) }
        mergeAll(&scratch)
        for index in scratch.symbols.indices where scratch.alive[index] { output.append(scratch.symbols[index]) }
    }

    private func mergeAll(_ scratch: inout Scratch) {
        let count = scratch.symbols.count
        scratch.alive.removeAll(keepingCapacity: true)
        scratch.alive.append(contentsOf: repeatElement(true, count: count))
        guard count > 1 else { return }
        scratch.previous.removeAll(keepingCapacity: true)
        scratch.next.removeAll(keepingCapacity: true)
        for index in 0..<count {
            scratch.previous.append(Int32(index - 1))
            scratch.next.append(index + 1 < count ? Int32(index + 1) : -1)
        }
        scratch.heap.removeAll()
        for index in 0..<(count - 1) {
            if let merge = merges.lookup(left: scratch.symbols[index], right: scratch.symbols[index + 1]) {
                scratch.heap.push(rank: UInt32(merge >> 32), position: UInt32(index), result: UInt32(truncatingIfNeeded: merge))
            }
        }
        while let top = scratch.heap.pop() {
            let position = Int(top.position)
            guard scratch.alive[position] else { continue }
            let nextPosition = Int(scratch.next[position])
            guard nextPosition >= 0 else { continue }
            guard let current = merges.lookup(left: scratch.symbols[position], right: scratch.symbols[nextPosition]),
                  UInt32(truncatingIfNeeded: current) == top.result else { continue }
            scratch.symbols[position] = top.result
            let after = scratch.next[nextPosition]
            scratch.next[position] = after
            scratch.alive[nextPosition] = false
            if after >= 0 { scratch.previous[Int(after)] = Int32(position) }
            let before = scratch.previous[position]
            if before >= 0,
               let merge = merges.lookup(left: scratch.symbols[Int(before)], right: top.result) {
                scratch.heap.push(rank: UInt32(merge >> 32), position: UInt32(before), result: UInt32(truncatingIfNeeded: merge))
            }
            if after >= 0,
               let merge = merges.lookup(left: top.result, right: scratch.symbols[Int(after)]) {
                scratch.heap.push(rank: UInt32(merge >> 32), position: UInt32(position), result: UInt32(truncatingIfNeeded: merge))
            }
        }
    }
}

/// Binary min-heap of pending merges ordered by (rank, position).
struct MergeHeap {
    private var keys: [UInt64] = []
    private var results: [UInt32] = []

    mutating func removeAll() {
        keys.removeAll(keepingCapacity: true)
        results.removeAll(keepingCapacity: true)
    }

    mutating func push(rank: UInt32, position: UInt32, result: UInt32) {
        keys.append(UInt64(rank) << 32 | UInt64(position))
        results.append(result)
        var child = keys.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard keys[child] < keys[parent] else { break }
            keys.swapAt(child, parent)
            results.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (position: UInt32, result: UInt32)? {
        guard let topKey = keys.first else { return nil }
        let top = (position: UInt32(truncatingIfNeeded: topKey), result: results[0])
        let lastKey = keys.removeLast()
        let lastResult = results.removeLast()
        if !keys.isEmpty {
            keys[0] = lastKey
            results[0] = lastResult
            var parent = 0
            let count = keys.count
            while true {
                let left = 2 * parent + 1
                guard left < count else { break }
                var smallest = left
                if left + 1 < count && keys[left + 1] < keys[left] { smallest = left + 1 }
                guard keys[smallest] < keys[parent] else { break }
                keys.swapAt(smallest, parent)
                results.swapAt(smallest, parent)
                parent = smallest
            }
        }
        return top
    }
}

extension BPEModel {
    /// The model of a read tokenizer.json: byte ids from the ByteLevel alphabet, merges ranked
    /// in file order (a later duplicate of a pair wins, as in HF's map).
    init(_ model: TokenizerModel) {
        var byteIds = [Int32](repeating: -1, count: 256)
        for byte in 0..<256 {
            if let id = model.ids[Array(String(ByteLevelAlphabet.scalarForByte[byte]).utf8)] { byteIds[byte] = Int32(id) }
        }
        var table = BPEMergeTable(capacityFor: model.merges.count)
        for (rank, merge) in model.merges.enumerated() {
            table.set(left: merge.leftID, right: merge.rightID, rank: UInt32(rank), result: merge.resultID)
        }
        self.init(byteIds: byteIds, merges: table, unknownId: model.unknownID.map { Int32($0) } ?? -1, fuseUnknown: model.fusesUnknown)
    }
}
