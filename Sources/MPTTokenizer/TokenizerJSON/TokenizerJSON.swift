import MPTCore

/// The parts of a Hugging Face fast-tokenizer file (`tokenizer.json`) that describe a BPE
/// vocabulary: the token → id map, the merge rules, the added tokens, and the raw pipeline
/// stages (normalizer, pre-tokenizer, post-processor) for callers that must recognize them.
/// Encoding text is not done here.
public struct TokenizerJSON: Sendable {
    /// Largest token id accepted (ids index arrays sized by the vocabulary).
    public static let maxTokenID = 1 << 24
    /// Largest file accepted.
    public static let maxFileBytes = 256 << 20

    /// One entry of `added_tokens`.
    public struct AddedToken: Sendable, Equatable {
        /// Token id.
        public var id: Int
        /// Token text.
        public var content: String
        /// `special`: a control token (skipped when decoding).
        public var special: Bool
        /// `normalized`: the text goes through the normalizer before matching (default `!special`,
        /// as in `tokenizers`).
        public var normalized: Bool

        public init(id: Int, content: String, special: Bool, normalized: Bool) {
            self.id = id
            self.content = content
            self.special = special
            self.normalized = normalized
        }
    }

    /// `model.type` (`BPE`, `WordPiece`, `Unigram`…); `nil` when the file does not say.
    public var modelType: String?
    /// `model.vocab` in file order.
    public var vocab: [(token: String, id: Int)]
    /// `model.merges` as `"left right"` strings. The pair form (`["left", "right"]`, written by
    /// tokenizers ≥ 0.20) is joined with one space after replacing spaces inside a part by U+0120,
    /// as gguf-py does, so both forms give the same list.
    public var merges: [String]
    /// `added_tokens` in file order.
    public var addedTokens: [AddedToken]
    /// `normalizer`, when present and not null.
    public var normalizer: JSONValue?
    /// `pre_tokenizer`, when present and not null.
    public var preTokenizer: JSONValue?
    /// `post_processor`, when present and not null.
    public var postProcessor: JSONValue?

    /// Reads and parses `path`.
    public static func read(path: String) throws -> TokenizerJSON {
        try attributing(to: path) {
            let storage = try ByteStorage(mappingFileAt: path)
            guard storage.count <= maxFileBytes else {
                throw TokenizerJSONError.tooLarge(bytes: storage.count, limit: maxFileBytes)
            }
            return try TokenizerJSON(json: JSONParser.parse(Array(storage.bytes)))
        }
    }

    /// Interprets a parsed `tokenizer.json`.
    public init(json: JSONValue) throws {
        guard json.objectMembers != nil else { throw TokenizerJSONError.badMember(path: "(top level)", expected: "an object") }
        guard let model = json["model"], model.objectMembers != nil else {
            throw TokenizerJSONError.badMember(path: "model", expected: "an object")
        }
        if let type = model["type"], !type.isNull {
            guard let text = type.stringValue else { throw TokenizerJSONError.badMember(path: "model.type", expected: "a string") }
            modelType = text
        } else {
            modelType = nil
        }
        guard let vocabMembers = model["vocab"]?.objectMembers else {
            throw TokenizerJSONError.badMember(path: "model.vocab", expected: "an object of token → id")
        }
        vocab = try vocabMembers.map { member in (member.key, try Self.tokenID(member.value, token: member.key)) }
        merges = try Self.merges(model["merges"])
        addedTokens = try Self.addedTokens(json["added_tokens"])
        normalizer = json["normalizer"].flatMap { $0.isNull ? nil : $0 }
        preTokenizer = json["pre_tokenizer"].flatMap { $0.isNull ? nil : $0 }
        postProcessor = json["post_processor"].flatMap { $0.isNull ? nil : $0 }
    }

    /// Every token text by id: the model vocabulary plus the added tokens. An added token may
    /// repeat a vocabulary entry (same id, same text); one id with two texts is an error.
    public func tokensByID() throws -> [Int: String] {
        var byID: [Int: String] = [:]
        let entries = vocab.map { ($0.id, $0.token) } + addedTokens.map { ($0.id, $0.content) }
        for (id, text) in entries {
            if let existing = byID[id] {
                guard existing == text else { throw TokenizerJSONError.conflictingID(id: id, first: existing, second: text) }
                continue
            }
            byID[id] = text
        }
        return byID
    }

    /// The added token with `id`, if any.
    public func addedToken(id: Int) -> AddedToken? { addedTokens.first { $0.id == id } }

    private static func tokenID(_ value: JSONValue, token: String) throws -> Int {
        guard let id = value.intValue, id >= 0, id <= maxTokenID else {
            throw TokenizerJSONError.badTokenID(token: token, id: value.stringValue ?? Self.text(value))
        }
        return id
    }

    private static func text(_ value: JSONValue) -> String {
        if case let .number(text) = value { return text }
        return value.typeName
    }

    private static func merges(_ value: JSONValue?) throws -> [String] {
        guard let value, !value.isNull else { return [] }
        guard let entries = value.arrayValue else {
            throw TokenizerJSONError.badMember(path: "model.merges", expected: "an array")
        }
        var result: [String] = []
        result.reserveCapacity(entries.count)
        for (index, entry) in entries.enumerated() {
            if let text = entry.stringValue {
                result.append(text)
            } else if let pair = entry.arrayValue, pair.count == 2, let left = pair[0].stringValue, let right = pair[1].stringValue {
                result.append(encodeSpaces(left) + " " + encodeSpaces(right))
            } else {
                throw TokenizerJSONError.badMerge(index: index)
            }
        }
        return result
    }

    /// Spaces inside a merge part become U+0120 (`Ġ`, space + 256), gguf-py's encoding.
    private static func encodeSpaces(_ part: String) -> String {
        guard part.contains(" ") else { return part }
        return String(part.map { $0 == " " ? "\u{0120}" : $0 })
    }

    private static func addedTokens(_ value: JSONValue?) throws -> [AddedToken] {
        guard let value, !value.isNull else { return [] }
        guard let entries = value.arrayValue else {
            throw TokenizerJSONError.badMember(path: "added_tokens", expected: "an array")
        }
        return try entries.enumerated().map { index, entry in
            guard let content = entry["content"]?.stringValue else {
                throw TokenizerJSONError.badMember(path: "added_tokens[\(index)].content", expected: "a string")
            }
            guard let idValue = entry["id"] else {
                throw TokenizerJSONError.badMember(path: "added_tokens[\(index)].id", expected: "an integer")
            }
            let id = try tokenID(idValue, token: content)
            let special = entry["special"]?.boolValue ?? false
            return AddedToken(id: id, content: content, special: special, normalized: entry["normalized"]?.boolValue ?? !special)
        }
    }
}
