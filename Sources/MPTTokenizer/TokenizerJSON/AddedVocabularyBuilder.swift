import MPTFormats

/// Assigns ids to `added_tokens` exactly as HF `AddedVocabulary::add_tokens` does when a
/// tokenizer.json is loaded (the ids written in the file are only checked by HF, not used):
/// a token already known (added earlier or in the model vocab) keeps that id, a new one gets
/// the next id after the model vocab / the largest added id.
struct AddedVocabularyBuilder: Sendable {
    /// Every entry with non-empty content in file order, with its assigned id.
    private(set) var fileOrder: [TokenizerAddedToken] = []
    /// Special tokens in file order, then the other added tokens, each with its id — the order
    /// HF builds its matchers in.
    private(set) var orderedTokens: [TokenizerAddedToken] = []
    /// The last token given each id (HF reads a match's options from here).
    private(set) var tokensByID: [UInt32: TokenizerAddedToken] = [:]
    /// UTF-8 contents of special tokens.
    private(set) var specialContents: Set<[UInt8]> = []

    init(list value: JSONValue?, model: TokenizerModel, limits: TokenizerLimits) throws {
        guard let value, !value.isNull else { return }
        guard let items = value.arrayValue else { throw TokenizerError.wrongType(key: "added_tokens", expected: "an array", found: value.typeName) }
        let tokens = try items.enumerated().map { try Self.readToken($1, index: $0) }

        var specials: [TokenizerAddedToken] = []
        for token in tokens where token.special && !token.content.isEmpty {
            if specialContents.insert(Array(token.content.utf8)).inserted { specials.append(token) }
        }
        var idsByContent: [[UInt8]: UInt32] = [:]
        var largestAdded: UInt32?
        var classics: [TokenizerAddedToken] = []
        for token in tokens where !token.content.isEmpty {
            let content = Array(token.content.utf8)
            if let existing = idsByContent[content], let known = tokensByID[existing], known.declares(sameAs: token) { continue }
            let id: UInt32
            if let known = idsByContent[content] ?? model.ids[content] {
                id = known
            } else if let largest = largestAdded {
                id = (Int(largest) >= model.count || model.count == 0) ? largest + 1 : UInt32(model.count)
            } else {
                id = UInt32(model.count)
            }
            guard Int(id) < limits.idLimit else { throw TokenizerError.tooManyTokens(limit: limits.idLimit) }
            idsByContent[content] = id
            largestAdded = max(largestAdded ?? id, id)
            var assigned = token
            assigned.id = Int(id)
            tokensByID[id] = assigned
            if !specialContents.contains(content) { classics.append(token) }
        }
        func withID(_ token: TokenizerAddedToken) -> TokenizerAddedToken? {
            idsByContent[Array(token.content.utf8)].map { id in
                var assigned = token
                assigned.id = Int(id)
                return assigned
            }
        }
        orderedTokens = (specials + classics).compactMap(withID)
        fileOrder = tokens.compactMap(withID)
    }

    /// One entry, its id not yet assigned.
    private static func readToken(_ value: JSONValue, index: Int) throws -> TokenizerAddedToken {
        let key = "added_tokens[\(index)]"
        guard value.objectMembers != nil else { throw TokenizerError.wrongType(key: key, expected: "an object", found: value.typeName) }
        guard let contentJSON = value["content"] else { throw TokenizerError.missingKey(key + ".content") }
        guard let content = contentJSON.stringValue else {
            throw TokenizerError.wrongType(key: key + ".content", expected: "a string", found: contentJSON.typeName)
        }
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            try TokenizerFields.bool(value[name], key: key + "." + name, default: fallback)
        }
        return TokenizerAddedToken(id: -1, content: content, singleWord: try flag("single_word", false), leftStrip: try flag("lstrip", false),
                                   rightStrip: try flag("rstrip", false), normalized: try flag("normalized", true),
                                   special: try flag("special", false))
    }
}
