import MPTFormats

/// The `model` object of a tokenizer.json, read the way HF's `BpeBuilder` reads it: the
/// vocabulary, the merges in rank order (each checked against the vocabulary) and the unknown
/// token. Options that would change BPE results away from their defaults are refused.
public struct TokenizerModel: Sendable {
    /// Token bytes (UTF-8 of the vocab key, compared byte for byte as Rust does) → id.
    let ids: [[UInt8]: UInt32]
    /// Id → token text.
    let textsByID: [UInt32: String]
    /// One more than the largest vocab id.
    public let idBound: Int
    /// `model.merges` in rank order (`#version` lines skipped, as HF does).
    public let merges: [TokenizerMerge]
    /// The vocab id of `model.unk_token`, or `nil` without one.
    public let unknownID: Int?
    /// `model.fuse_unk`: consecutive unknown bytes become one unknown token.
    public let fusesUnknown: Bool

    /// The number of vocab entries (HF's `get_vocab_size`).
    public var count: Int { ids.count }

    /// The vocab id of `token` (compared byte for byte), if any.
    public func id(of token: String) -> Int? { ids[Array(token.utf8)].map(Int.init) }

    /// The vocab text of `id`, if any.
    public func token(for id: Int) -> String? { UInt32(exactly: id).flatMap { textsByID[$0] } }

    init(json: JSONValue, limits: TokenizerLimits) throws {
        guard json.objectMembers != nil else { throw TokenizerError.wrongType(key: "model", expected: "an object", found: json.typeName) }
        if let type = json["type"] {
            guard let name = type.stringValue else { throw TokenizerError.wrongType(key: "model.type", expected: "a string", found: type.typeName) }
            guard name == "BPE" else { throw TokenizerError.unsupported(key: "model.type", value: "'\(name)'") }
        }
        try Self.checkDefaults(json)

        guard let vocabJSON = json["vocab"] else { throw TokenizerError.missingKey("model.vocab") }
        guard let members = vocabJSON.objectMembers else {
            throw TokenizerError.wrongType(key: "model.vocab", expected: "an object", found: vocabJSON.typeName)
        }
        var ids: [[UInt8]: UInt32] = [:]
        var texts: [UInt32: String] = [:]
        ids.reserveCapacity(members.count)
        texts.reserveCapacity(members.count)
        var bound = 0
        for (token, value) in members {
            guard let id = value.intValue, id >= 0, id < limits.idLimit, let narrow = UInt32(exactly: id) else {
                throw TokenizerError.invalidTokenID(token: token, limit: limits.idLimit)
            }
            if let first = texts[narrow] { throw TokenizerError.duplicateTokenID(id: id, first: first, second: token) }
            texts[narrow] = token
            ids[Array(token.utf8)] = narrow
            bound = max(bound, id + 1)
        }
        self.ids = ids
        self.textsByID = texts
        self.idBound = bound
        merges = try Self.readMerges(json["merges"], ids: ids)

        if let unk = json["unk_token"], !unk.isNull {
            guard let text = unk.stringValue else { throw TokenizerError.wrongType(key: "model.unk_token", expected: "a string", found: unk.typeName) }
            guard let id = ids[Array(text.utf8)] else { throw TokenizerError.unknownTokenNotInVocab(text) }
            unknownID = Int(id)
        } else {
            unknownID = nil
        }
        fusesUnknown = try TokenizerFields.bool(json["fuse_unk"], key: "model.fuse_unk", default: false)
    }

    /// Refuses options that change BPE results when set away from their defaults.
    private static func checkDefaults(_ json: JSONValue) throws {
        for key in ["byte_fallback", "ignore_merges"] where try TokenizerFields.bool(json[key], key: "model." + key, default: false) {
            throw TokenizerError.unsupported(key: "model." + key, value: "true")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            guard let value = json[key], !value.isNull else { continue }
            guard value.stringValue == "" else { throw TokenizerError.unsupported(key: "model." + key, value: "a non-empty affix") }
        }
        if let dropout = json["dropout"], !dropout.isNull, dropout.doubleValue != 0 {
            throw TokenizerError.unsupported(key: "model.dropout", value: "non-zero")
        }
    }

    /// Merges as `"a b"` strings (lines starting with `#version` skipped, as HF does) or
    /// `["a", "b"]` pairs; rank = position among the kept ones. Both parts and their
    /// concatenation must be vocab tokens.
    private static func readMerges(_ value: JSONValue?, ids: [[UInt8]: UInt32]) throws -> [TokenizerMerge] {
        guard let value else { throw TokenizerError.missingKey("model.merges") }
        guard let list = value.arrayValue else { throw TokenizerError.wrongType(key: "model.merges", expected: "an array", found: value.typeName) }
        var merges: [TokenizerMerge] = []
        merges.reserveCapacity(list.count)
        for (index, item) in list.enumerated() {
            let left: String, right: String
            if let line = item.stringValue {
                if line.hasPrefix("#version") { continue }
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw TokenizerError.malformedMerge(index: index) }
                left = String(parts[0]); right = String(parts[1])
            } else if let pair = item.arrayValue, pair.count == 2, let first = pair[0].stringValue, let second = pair[1].stringValue {
                left = first; right = second
            } else {
                throw TokenizerError.malformedMerge(index: index)
            }
            let leftBytes = Array(left.utf8), rightBytes = Array(right.utf8)
            guard let leftID = ids[leftBytes] else { throw TokenizerError.mergeTokenNotInVocab(index: index, token: left) }
            guard let rightID = ids[rightBytes] else { throw TokenizerError.mergeTokenNotInVocab(index: index, token: right) }
            guard let resultID = ids[leftBytes + rightBytes] else {
                throw TokenizerError.mergeTokenNotInVocab(index: index, token: left + right)
            }
            merges.append(TokenizerMerge(left: left, right: right, leftID: leftID, rightID: rightID, resultID: resultID))
        }
        return merges
    }
}

/// One merge rule: two vocab tokens that BPE joins into a third.
public struct TokenizerMerge: Sendable {
    /// The left token's text.
    public let left: String
    /// The right token's text.
    public let right: String
    /// Vocab ids of the left token, the right token and their concatenation.
    let leftID: UInt32, rightID: UInt32, resultID: UInt32
}
