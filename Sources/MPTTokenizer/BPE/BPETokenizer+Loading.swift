import MPTCore

extension BPETokenizer {
    /// Largest tokenizer.json accepted.
    public static let maxFileBytes = 128 << 20
    /// Token ids must be below this (real vocabularies are far smaller).
    public static let idLimit = 1 << 21

    /// Reads a `tokenizer.json` file.
    public init(contentsOf path: String) throws {
        let storage = try ByteStorage(mappingFileAt: path)
        guard storage.count <= Self.maxFileBytes else {
            throw BPETokenizerError.fileTooLarge(bytes: storage.count, limit: Self.maxFileBytes)
        }
        try self.init(tokenizerJSON: try storage.copyBytes(offset: 0, length: storage.count))
    }

    /// Parses the bytes of a `tokenizer.json`.
    public init(tokenizerJSON bytes: [UInt8]) throws {
        guard bytes.count <= Self.maxFileBytes else {
            throw BPETokenizerError.fileTooLarge(bytes: bytes.count, limit: Self.maxFileBytes)
        }
        let root: JSONValue
        do { root = try JSONParser.parse(bytes) } catch let error as JSONError { throw BPETokenizerError.invalidJSON(error) }
        try self.init(json: root)
    }

    /// Builds the tokenizer from a parsed `tokenizer.json`.
    public init(json root: JSONValue) throws {
        guard root.objectMembers != nil else { throw BPETokenizerError.wrongType(key: "(root)", expected: "an object", found: root.typeName) }
        for key in ["truncation", "padding"] {
            if let value = root[key], !value.isNull { throw BPETokenizerError.unsupported(key: key, value: "non-null") }
        }
        let normalizesNFC = try TokenizerConfigReader.readNormalizer(root["normalizer"])
        let preTokenizer = try TokenizerConfigReader.readPreTokenizer(root["pre_tokenizer"])
        try TokenizerConfigReader.checkPostProcessor(root["post_processor"])
        let decodesByteLevel = try TokenizerConfigReader.readDecoder(root["decoder"])
        guard let modelJSON = root["model"], !modelJSON.isNull else { throw BPETokenizerError.missingKey("model") }
        let vocab = try BPEVocabReader(model: modelJSON)
        let added = try AddedVocabularyBuilder(list: root["added_tokens"], vocab: vocab)

        func patterns(normalized: Bool) -> [(bytes: [UInt8], id: UInt32, token: BPEAddedToken)] {
            added.orderedTokens.filter { $0.token.normalized == normalized }.map { entry in
                var bytes = Array(entry.token.content.utf8)
                if normalized && normalizesNFC, let nfc = bytes.withUnsafeBufferPointer(UnicodeNFC.normalize) { bytes = nfc }
                return (bytes, entry.id, added.tokensByID[entry.id] ?? entry.token)
            }
        }

        var bound = vocab.idBound
        for id in added.tokensByID.keys { bound = max(bound, Int(id) + 1) }
        var texts = [String?](repeating: nil, count: bound)
        for (id, text) in vocab.textsByID { texts[Int(id)] = text }
        for (id, token) in added.tokensByID { texts[Int(id)] = token.content }
        let specialFlags = texts.map { $0.map { added.specialContents.contains(Array($0.utf8)) } ?? false }

        self.init(model: vocab.model,
                  rawAddedTokens: AddedTokenMatcher(patterns(normalized: false)),
                  normalizedAddedTokens: AddedTokenMatcher(patterns(normalized: true)),
                  normalizesNFC: normalizesNFC,
                  addPrefixSpace: preTokenizer.addPrefixSpace,
                  splitsWithRegex: preTokenizer.useRegex,
                  decodedBytes: texts.map { $0.map { ByteLevelAlphabet.bytes(ofToken: $0) ?? Array($0.utf8) } },
                  tokenTexts: texts,
                  specialIds: specialFlags,
                  decodesByteLevel: decodesByteLevel)
    }
}

/// Reads and checks the pipeline components around the model.
enum TokenizerConfigReader {
    static func type(of value: JSONValue, key: String) throws -> String {
        guard value.objectMembers != nil else { throw BPETokenizerError.wrongType(key: key, expected: "an object", found: value.typeName) }
        guard let type = value["type"] else { throw BPETokenizerError.missingKey(key + ".type") }
        guard let text = type.stringValue else { throw BPETokenizerError.wrongType(key: key + ".type", expected: "a string", found: type.typeName) }
        return text
    }

    static func bool(_ value: JSONValue?, key: String, default fallback: Bool) throws -> Bool {
        guard let value, !value.isNull else { return fallback }
        guard let flag = value.boolValue else { throw BPETokenizerError.wrongType(key: key, expected: "a boolean", found: value.typeName) }
        return flag
    }

    /// True for NFC, false for none; anything else is refused.
    static func readNormalizer(_ value: JSONValue?) throws -> Bool {
        guard let value, !value.isNull else { return false }
        switch try type(of: value, key: "normalizer") {
        case "NFC":
            return true
        case "Sequence":
            guard let list = value["normalizers"]?.arrayValue else { throw BPETokenizerError.missingKey("normalizer.normalizers") }
            var nfc = false
            for item in list { nfc = try readNormalizer(item) || nfc }
            return nfc
        case let other:
            throw BPETokenizerError.unsupported(key: "normalizer.type", value: "'\(other)'")
        }
    }

    /// The ByteLevel pre-tokenizer's options.
    static func readPreTokenizer(_ value: JSONValue?) throws -> (addPrefixSpace: Bool, useRegex: Bool) {
        guard let value, !value.isNull else { throw BPETokenizerError.missingKey("pre_tokenizer") }
        switch try type(of: value, key: "pre_tokenizer") {
        case "ByteLevel":
            return (try bool(value["add_prefix_space"], key: "pre_tokenizer.add_prefix_space", default: true),
                    try bool(value["use_regex"], key: "pre_tokenizer.use_regex", default: true))
        case "Sequence":
            guard let list = value["pretokenizers"]?.arrayValue, list.count == 1 else {
                throw BPETokenizerError.unsupported(key: "pre_tokenizer", value: "a Sequence other than one ByteLevel")
            }
            return try readPreTokenizer(list[0])
        case let other:
            throw BPETokenizerError.unsupported(key: "pre_tokenizer.type", value: "'\(other)'")
        }
    }

    /// Accepts post-processors that add nothing to a single sequence.
    static func checkPostProcessor(_ value: JSONValue?) throws {
        guard let value, !value.isNull else { return }
        let kind = try type(of: value, key: "post_processor")
        guard kind == "ByteLevel" else { throw BPETokenizerError.unsupported(key: "post_processor.type", value: "'\(kind)'") }
    }

    /// True for the ByteLevel decoder, false for none.
    static func readDecoder(_ value: JSONValue?) throws -> Bool {
        guard let value, !value.isNull else { return false }
        let kind = try type(of: value, key: "decoder")
        guard kind == "ByteLevel" else { throw BPETokenizerError.unsupported(key: "decoder.type", value: "'\(kind)'") }
        return true
    }
}
