/// The GPT-2 pre-tokenizer split used by HF `ByteLevel(use_regex: true)`:
///
///     's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
///
/// implemented by hand over UTF-8 with the semantics of a backtracking engine (first
/// alternative that matches wins, each alternative greedy). Every scalar is a letter, a number,
/// whitespace or "other", so matches tile the input with no gaps.
enum GPT2PreTokenizer {
    @inline(__always)
    private static func classAt(_ bytes: UnsafeBufferPointer<UInt8>, _ index: Int) -> (kind: ScalarClass, length: Int) {
        let byte = bytes[index]
        if byte < 0x80 { return (ScalarClass.ofASCII(byte), 1) }
        let decoded = UTF8Scalars.decode(bytes, at: index)
        return (ScalarClass.of(decoded.scalar), decoded.length)
    }

    /// End of the run of scalars of class `kind` starting at `index`.
    @inline(__always)
    private static func runEnd(_ bytes: UnsafeBufferPointer<UInt8>, from index: Int, of kind: ScalarClass) -> Int {
        var position = index
        while position < bytes.count {
            let next = classAt(bytes, position)
            guard next.kind == kind else { break }
            position += next.length
        }
        return position
    }

    /// The end of the piece that starts at `start` (< count).
    static func pieceEnd(in bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        let count = bytes.count
        let first = bytes[start]
        // 's 't 're 've 'm 'll 'd
        if first == UInt8(ascii: "'"), start + 1 < count {
            switch bytes[start + 1] {
            case UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "m"), UInt8(ascii: "d"):
                return start + 2
            case UInt8(ascii: "r"), UInt8(ascii: "v"):
                if start + 2 < count, bytes[start + 2] == UInt8(ascii: "e") { return start + 3 }
            case UInt8(ascii: "l"):
                if start + 2 < count, bytes[start + 2] == UInt8(ascii: "l") { return start + 3 }
            default:
                break
            }
        }
        //  ?\p{L}+ |  ?\p{N}+ |  ?[^\s\p{L}\p{N}]+ with the optional space
        if first == UInt8(ascii: " "), start + 1 < count {
            let next = classAt(bytes, start + 1)
            if next.kind != .whitespace {
                return runEnd(bytes, from: start + 1 + next.length, of: next.kind)
            }
        }
        let current = classAt(bytes, start)
        if current.kind != .whitespace {
            return runEnd(bytes, from: start + current.length, of: current.kind)
        }
        // \s+(?!\S) then \s+: a whitespace run reaching the end is taken whole; otherwise the
        // run minus its last scalar (which then leads the next piece), or a lone scalar.
        var position = start + current.length
        var lastStart = start
        while position < count {
            let next = classAt(bytes, position)
            guard next.kind == .whitespace else { break }
            lastStart = position
            position += next.length
        }
        if position == count || lastStart == start { return position }
        return lastStart
    }
}
