/// One segment of text cut by an `AddedTokenMatcher`: a token id, or a byte range left for the
/// model.
enum AddedTokenSegment {
    case token(UInt32)
    case text(Range<Int>)
}

/// Leftmost-longest matching of a set of byte patterns (what HF does with an Aho–Corasick
/// automaton in `MatchKind::LeftmostLongest`), plus the `single_word`/`lstrip`/`rstrip`
/// adjustments of HF's `AddedVocabulary::find_matches`.
struct AddedTokenMatcher: Sendable {
    /// Per pattern: the token id and its options.
    private struct Pattern: Sendable {
        var id: UInt32
        var singleWord: Bool
        var leftStrip: Bool
        var rightStrip: Bool
    }

    // A byte trie stored flat: node n's edges are edgeBytes/edgeTargets[edgeStart[n]..<edgeStart[n+1]].
    private var edgeStart: [Int32] = []
    private var edgeBytes: [UInt8] = []
    private var edgeTargets: [Int32] = []
    private var terminal: [Int32] = []
    private var patterns: [Pattern] = []
    private var firstByte = [Bool](repeating: false, count: 256)

    /// True when there is nothing to match.
    var isEmpty: Bool { patterns.isEmpty }

    /// Whether any pattern contains `byte`, or strips whitespace on the left.
    private(set) var blocksParallelSplit = false

    /// Builds the matcher from `(pattern bytes, id, token)`; the first of equal patterns wins.
    init(_ entries: [(bytes: [UInt8], id: UInt32, token: TokenizerAddedToken)]) {
        var children: [[UInt8: Int32]] = [[:]]
        var terminalOf: [Int32] = [-1]
        for entry in entries where !entry.bytes.isEmpty {
            var node = 0
            for byte in entry.bytes {
                if let next = children[node][byte] {
                    node = Int(next)
                } else {
                    children.append([:])
                    terminalOf.append(-1)
                    let created = Int32(children.count - 1)
                    children[node][byte] = created
                    node = Int(created)
                }
            }
            if terminalOf[node] < 0 {
                terminalOf[node] = Int32(patterns.count)
                patterns.append(Pattern(id: entry.id, singleWord: entry.token.singleWord,
                                        leftStrip: entry.token.leftStrip, rightStrip: entry.token.rightStrip))
            }
            firstByte[Int(entry.bytes[0])] = true
            if entry.bytes.contains(UInt8(ascii: "\n")) || entry.token.leftStrip { blocksParallelSplit = true }
        }
        for node in children.indices {
            edgeStart.append(Int32(edgeBytes.count))
            for (byte, target) in children[node].sorted(by: { $0.key < $1.key }) {
                edgeBytes.append(byte)
                edgeTargets.append(target)
            }
        }
        edgeStart.append(Int32(edgeBytes.count))
        terminal = terminalOf
    }

    @inline(__always)
    private func child(of node: Int, byte: UInt8) -> Int? {
        let from = Int(edgeStart[node]), to = Int(edgeStart[node + 1])
        var index = from
        while index < to {
            if edgeBytes[index] == byte { return Int(edgeTargets[index]) }
            if edgeBytes[index] > byte { return nil }
            index += 1
        }
        return nil
    }

    /// The longest pattern starting at `start`: its index and end.
    @inline(__always)
    private func longestMatch(in bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> (pattern: Int, end: Int)? {
        var node = 0
        var best: (Int, Int)?
        var position = start
        while position < bytes.count, let next = child(of: node, byte: bytes[position]) {
            node = next
            position += 1
            let pattern = terminal[node]
            if pattern >= 0 { best = (Int(pattern), position) }
        }
        return best
    }

    /// Cuts `bytes` into added tokens and the text between them, as HF's `find_matches`.
    /// Empty text segments are not reported.
    func segments(of bytes: UnsafeBufferPointer<UInt8>, _ body: (AddedTokenSegment) -> Void) {
        let count = bytes.count
        guard !patterns.isEmpty else {
            if count > 0 { body(.text(0..<count)) }
            return
        }
        var textStart = 0
        var scan = 0
        while scan < count {
            guard firstByte[Int(bytes[scan])], let match = longestMatch(in: bytes, at: scan) else {
                scan += 1
                continue
            }
            let pattern = patterns[match.pattern]
            var start = scan
            var stop = match.end
            scan = match.end
            if pattern.singleWord {
                let startSpace = start == 0 || !RegexCharacter.isWord(UTF8Scalars.decode(bytes, endingAt: start))
                let stopSpace = stop == count || !RegexCharacter.isWord(UTF8Scalars.decode(bytes, at: stop).scalar)
                if !startSpace || !stopSpace { continue }
            }
            if pattern.leftStrip {
                var newStart = start
                while newStart > 0 {
                    let scalar = UTF8Scalars.decode(bytes, endingAt: newStart)
                    guard RegexCharacter.isSpace(scalar) else { break }
                    newStart -= String(scalar).utf8.count
                }
                start = max(newStart, textStart)
            }
            if pattern.rightStrip {
                while stop < count {
                    let decoded = UTF8Scalars.decode(bytes, at: stop)
                    guard RegexCharacter.isSpace(decoded.scalar) else { break }
                    stop += decoded.length
                }
            }
            if textStart < start { body(.text(textStart..<start)) }
            body(.token(pattern.id))
            textStart = stop
        }
        if textStart < count { body(.text(textStart..<count)) }
    }
}
