/// Problems reading a Hugging Face `tokenizer.json` (or its `tokenizer_config.json`).
public enum TokenizerJSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is larger than the reader accepts.
    case tooLarge(bytes: Int, limit: Int)
    /// A required member is missing or has the wrong JSON type.
    case badMember(path: String, expected: String)
    /// A token id is negative or beyond the accepted range.
    case badTokenID(token: String, id: String)
    /// One id names two different token texts.
    case conflictingID(id: Int, first: String, second: String)
    /// A merge entry is neither `"a b"` nor a two-string array.
    case badMerge(index: Int)

    public var description: String {
        switch self {
        case let .tooLarge(bytes, limit): return "tokenizer file is \(bytes) bytes, more than the \(limit) accepted"
        case let .badMember(path, expected): return "tokenizer member '\(path)' must be \(expected)"
        case let .badTokenID(token, id): return "token '\(token.prefix(40))' has id \(id), which is not an integer from 0 to \(TokenizerJSON.maxTokenID)"
        case let .conflictingID(id, first, second): return "token id \(id) is both '\(first.prefix(40))' and '\(second.prefix(40))'"
        case let .badMerge(index): return "merge \(index) is neither \"a b\" nor a pair of strings"
        }
    }
}
