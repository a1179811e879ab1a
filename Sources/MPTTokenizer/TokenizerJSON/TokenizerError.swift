/// Why a `tokenizer.json` cannot be used by `BPETokenizer`.
public enum BPETokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is larger than the reader accepts.
    case fileTooLarge(bytes: Int, limit: Int)
    /// The file is not valid JSON (or nests too deeply).
    case invalidJSON(JSONError)
    /// A required key is absent.
    case missingKey(String)
    /// A key holds the wrong JSON type.
    case wrongType(key: String, expected: String, found: String)
    /// A component or option this tokenizer does not implement.
    case unsupported(key: String, value: String)
    /// A vocab entry's id is not an integer in 0..<limit.
    case invalidTokenID(token: String, limit: Int)
    /// Two vocab entries share an id.
    case duplicateTokenID(id: Int, first: String, second: String)
    /// A merge is not two tokens.
    case malformedMerge(index: Int)
    /// A merge names (or produces) a token that is not in the vocab.
    case mergeTokenNotInVocab(index: Int, token: String)
    /// The unknown token is not in the vocab.
    case unknownTokenNotInVocab(String)
    /// An added token's id would exceed the supported range.
    case tooManyTokens(limit: Int)

    public var description: String {
        switch self {
        case let .fileTooLarge(bytes, limit):
            return "tokenizer.json is \(bytes) bytes, more than the \(limit)-byte limit"
        case let .invalidJSON(error):
            return "tokenizer.json is not valid JSON: \(error)"
        case let .missingKey(key):
            return "tokenizer.json has no '\(key)'"
        case let .wrongType(key, expected, found):
            return "tokenizer.json '\(key)' should be \(expected) but is \(found)"
        case let .unsupported(key, value):
            return "tokenizer.json '\(key)' = \(value) is not supported (byte-level BPE only)"
        case let .invalidTokenID(token, limit):
            return "tokenizer.json vocab entry '\(token)' has an id that is not an integer in 0..<\(limit)"
        case let .duplicateTokenID(id, first, second):
            return "tokenizer.json vocab gives id \(id) to both '\(first)' and '\(second)'"
        case let .malformedMerge(index):
            return "tokenizer.json merge \(index) is not a pair of tokens"
        case let .mergeTokenNotInVocab(index, token):
            return "tokenizer.json merge \(index) uses '\(token)', which is not in the vocab"
        case let .unknownTokenNotInVocab(token):
            return "tokenizer.json unk_token '\(token)' is not in the vocab"
        case let .tooManyTokens(limit):
            return "tokenizer.json has token ids beyond the supported \(limit)"
        }
    }
}
