/// Assigns ids to `added_tokens` exactly as HF `AddedVocabulary::add_tokens` does when a
/// tokenizer.json is loaded (the ids written in the file are only checked by HF, not used):
/// a token already known (added earlier or in the model vocab) keeps that id, a new one gets
/// the next id after the model vocab / the largest added id.
struct AddedVocabularyBuilder {
    /// Special tokens in file order, then the other added tokens, each with its id — the order
    /// HF builds its matchers in.
    private(set) var orderedTokens: [(token: BPEAddedToken, id: UInt32)] = []
    /// The last token given each id (HF reads a match's options from here).
    private(set) var tokensByID: [UInt32: BPEAddedToken] = [:]
    /// UTF-8 contents of special tokens.
    private(set) var specialContents: Set<[UInt8]> = []

    init(list value: JSONValue?, vocab: BPEVocabReader) throws {
        guard let value, !value.isNull else { return }
        guard let items = value.arrayValue else { throw BPETokenizerError.wrongType(key: "added_tokens", expected: "an array", found: value.typeName) }
        let tokens = try items.enumerated().map { try Self.readToken($1, index: $0) }

        var specials: [BPEAddedToken] = []
        for token in tokens where token.special && !token.content.isEmpty {
            if specialContents.insert(Array(token.content.utf8)).inserted { specials.append(token) }
        }
        var idsByContent: [[UInt8]: UInt32] = [:]
        var largestAdded: UInt32?
        var classics: [BPEAddedToken] = []
        for token in tokens where !token.content.isEmpty {
            let content = Array(token.content.utf8)
            if let existing = idsByContent[content], tokensByID[existing] == token { continue }
            let id: UInt32
            if let known = idsByContent[content] ?? vocab.ids[content] {
                id = known
            } else if let largest = largestAdded {
                id = (Int(largest) >= vocab.count || vocab.count == 0) ? largest + 1 : UInt32(vocab.count)
            } else {
                id = UInt32(vocab.count)
            }
            guard Int(id) < BPETokenizer.idLimit else { throw BPETokenizerError.tooManyTokens(limit: BPETokenizer.idLimit) }
            idsByContent[content] = id
            largestAdded = max(largestAdded ?? id, id)
            tokensByID[id] = token
            if !specialContents.contains(content) { classics.append(token) }
        }
        orderedTokens = (specials + classics).compactMap { token in
            idsByContent[Array(token.content.utf8)].map { (token, $0) }
        }
    }

    private static func readToken(_ value: JSONValue, index: Int) throws -> BPEAddedToken {
        let key = "added_tokens[\(index)]"
        guard value.objectMembers != nil else { throw BPETokenizerError.wrongType(key: key, expected: "an object", found: value.typeName) }
        guard let contentJSON = value["content"] else { throw BPETokenizerError.missingKey(key + ".content") }
        guard let content = contentJSON.stringValue else {
            throw BPETokenizerError.wrongType(key: key + ".content", expected: "a string", found: contentJSON.typeName)
        }
        func flag(_ name: String, _ fallback: Bool) throws -> Bool {
            try TokenizerConfigReader.bool(value[name], key: key + "." + name, default: fallback)
        }
        return BPEAddedToken(content: content, singleWord: try flag("single_word", false), leftStrip: try flag("lstrip", false),
                          rightStrip: try flag("rstrip", false), normalized: try flag("normalized", true),
                          special: try flag("special", false))
    }
}
