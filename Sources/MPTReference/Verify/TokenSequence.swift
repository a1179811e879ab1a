/// Token ids for a verification run.
public enum TokenSequence {
    /// Errors parsing `--tokens`.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case notANumber(String)
        case outOfRange(id: Int, vocab: Int)
        case empty
        case tooLong(count: Int, limit: Int)

        public var description: String {
            switch self {
            case let .notANumber(text): return "token '\(text)' is not a non-negative integer"
            case let .outOfRange(id, vocab): return "token \(id) is outside the vocabulary (0..<\(vocab))"
            case .empty: return "no tokens to run"
            case let .tooLong(count, limit): return "\(count) tokens exceed the model's max_seq_len of \(limit)"
            }
        }
    }

    /// The default sequence when none is given: 32 ids spread over the vocabulary,
    /// `(i × 7919 + 11) mod vocab` for i = 0…31 (7919 is prime, so ids do not repeat for
    /// vocabularies larger than 32), clipped to `maxLength`.
    public static func defaultTokens(vocab: Int, maxLength: Int) -> [Int] {
        let count = max(1, min(32, maxLength))
        return (0..<count).map { ($0 * 7919 + 11) % max(vocab, 1) }
    }

    /// Parses `1,2,3` (spaces allowed).
    public static func parse(_ text: String) throws -> [Int] {
        let pieces = text.split(separator: ",").map { $0.trimmingCharacters() }
        var ids: [Int] = []
        for piece in pieces where !piece.isEmpty {
            guard let id = Int(piece), id >= 0 else { throw Failure.notANumber(piece) }
            ids.append(id)
        }
        guard !ids.isEmpty else { throw Failure.empty }
        return ids
    }

    /// Checks ids against a vocabulary size and sequence limit.
    public static func validate(_ ids: [Int], vocab: Int, maxLength: Int) throws {
        guard !ids.isEmpty else { throw Failure.empty }
        if let bad = ids.first(where: { $0 >= vocab }) { throw Failure.outOfRange(id: bad, vocab: vocab) }
        guard ids.count <= maxLength else { throw Failure.tooLong(count: ids.count, limit: maxLength) }
    }
}

extension Substring {
    fileprivate func trimmingCharacters() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
