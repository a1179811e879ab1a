import MPTFormats

/// Why a `tokenizer.json` cannot be read or used. Every reader of the file throws this one type;
/// readers given a path wrap it in `FileError`, so it prints as `path: problem` on one line.
public enum TokenizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is larger than `TokenizerLimits.maxFileBytes`.
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
    /// An added token's id would reach `TokenizerLimits.idLimit`.
    case tooManyTokens(limit: Int)

    public var description: String {
        switch self {
        case let .fileTooLarge(bytes, limit):
            return "tokenizer file is \(bytes) bytes, more than the \(limit)-byte limit"
        case let .invalidJSON(error):
            return "tokenizer file is not valid JSON: \(error)"
        case let .missingKey(key):
            return "tokenizer has no '\(key)'"
        case let .wrongType(key, expected, found):
            return "tokenizer '\(key)' should be \(expected) but is \(found)"
        case let .unsupported(key, value):
            return "tokenizer '\(key)' = \(value) is not supported (byte-level BPE only)"
        case let .invalidTokenID(token, limit):
            return "tokenizer vocab entry \(Self.shown(token)) has an id that is not an integer in 0..<\(limit)"
        case let .duplicateTokenID(id, first, second):
            return "tokenizer vocab gives id \(id) to both \(Self.shown(first)) and \(Self.shown(second))"
        case let .malformedMerge(index):
            return "tokenizer merge \(index) is not a pair of tokens"
        case let .mergeTokenNotInVocab(index, token):
            return "tokenizer merge \(index) uses \(Self.shown(token)), which is not in the vocab"
        case let .unknownTokenNotInVocab(token):
            return "tokenizer unk_token \(Self.shown(token)) is not in the vocab"
        case let .tooManyTokens(limit):
            return "tokenizer has token ids beyond the supported \(limit)"
        }
    }

    /// A token from the file as a quoted, escaped literal of at most 40 characters, so a
    /// message stays on one line whatever the token holds.
    static func shown(_ token: String) -> String {
        let head = String(reflecting: String(token.prefix(40)))
        return token.count > 40 ? head + "…" : head
    }
}
