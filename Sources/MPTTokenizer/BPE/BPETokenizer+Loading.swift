import MPTCore
import MPTFormats

extension BPETokenizer {
    /// Reads a `tokenizer.json` file; errors are `FileError`s naming it.
    public init(contentsOf path: String, limits: TokenizerLimits = .default) throws {
        let file = try TokenizerJSON.read(path: path, limits: limits)
        self = try attributing(to: path) { try BPETokenizer(file) }
    }

    /// Parses the bytes of a `tokenizer.json`.
    public init(tokenizerJSON bytes: [UInt8], limits: TokenizerLimits = .default) throws {
        try self.init(TokenizerJSON(bytes: bytes, limits: limits))
    }

    /// Builds the tokenizer from a parsed `tokenizer.json`.
    public init(json root: JSONValue, limits: TokenizerLimits = .default) throws {
        try self.init(TokenizerJSON(json: root, limits: limits))
    }

    /// Builds the tokenizer from a read `tokenizer.json`, refusing pipeline stages it does not
    /// implement (anything but NFC normalization, a ByteLevel pre-tokenizer, a post-processor
    /// that adds nothing, and the ByteLevel decoder; no truncation or padding).
    public init(_ file: TokenizerJSON) throws {
        if file.truncates { throw TokenizerError.unsupported(key: "truncation", value: "non-null") }
        if file.pads { throw TokenizerError.unsupported(key: "padding", value: "non-null") }
        let normalizesNFC = try Self.normalizesNFC(file.normalizer)
        let preTokenizer = try Self.byteLevelOptions(file.preTokenizer)
        if let processor = file.postProcessor, processor.type != "ByteLevel" {
            throw TokenizerError.unsupported(key: "post_processor.type", value: "'\(processor.type)'")
        }
        if let decoder = file.decoder, !decoder.isByteLevel {
            throw TokenizerError.unsupported(key: "decoder.type", value: "'\(decoder.type)'")
        }
        let added = file.addedVocabulary

        func patterns(normalized: Bool) -> [(bytes: [UInt8], id: UInt32, token: TokenizerAddedToken)] {
            added.orderedTokens.filter { $0.normalized == normalized }.compactMap { token in
                guard let id = UInt32(exactly: token.id) else { return nil }
                var bytes = Array(token.content.utf8)
                if normalized && normalizesNFC, let nfc = bytes.withUnsafeBufferPointer(UnicodeNFC.normalize) { bytes = nfc }
                return (bytes, id, added.tokensByID[id] ?? token)
            }
        }

        let texts = file.tokenTexts()
        let specialFlags = texts.map { $0.map { added.specialContents.contains(Array($0.utf8)) } ?? false }
        self.init(model: BPEModel(file.model),
                  rawAddedTokens: AddedTokenMatcher(patterns(normalized: false)),
                  normalizedAddedTokens: AddedTokenMatcher(patterns(normalized: true)),
                  normalizesNFC: normalizesNFC,
                  addPrefixSpace: preTokenizer.addPrefixSpace,
                  splitsWithRegex: preTokenizer.useRegex,
                  decodedBytes: texts.map { $0.map { ByteLevelAlphabet.bytes(ofToken: $0) ?? Array($0.utf8) } },
                  tokenTexts: texts,
                  specialIds: specialFlags,
                  decodesByteLevel: file.decoder?.isByteLevel ?? false)
    }

    /// True for NFC (alone or in a sequence), false for none; any other normalizer is refused.
    private static func normalizesNFC(_ normalizer: TokenizerNormalizer?) throws -> Bool {
        switch normalizer {
        case nil:
            return false
        case .nfc:
            return true
        case let .sequence(list):
            var nfc = false
            for item in list { nfc = try normalizesNFC(item) || nfc }
            return nfc
        case let .other(type):
            throw TokenizerError.unsupported(key: "normalizer.type", value: "'\(type)'")
        }
    }

    /// The options of the ByteLevel pre-tokenizer (alone or as the only member of a sequence).
    private static func byteLevelOptions(_ preTokenizer: TokenizerPreTokenizer?) throws -> (addPrefixSpace: Bool, useRegex: Bool) {
        switch preTokenizer {
        case nil:
            throw TokenizerError.missingKey("pre_tokenizer")
        case let .byteLevel(addPrefixSpace, useRegex):
            return (addPrefixSpace, useRegex)
        case let .sequence(list):
            guard list.count == 1 else {
                throw TokenizerError.unsupported(key: "pre_tokenizer", value: "a Sequence other than one ByteLevel")
            }
            return try byteLevelOptions(list[0])
        case let .other(type):
            throw TokenizerError.unsupported(key: "pre_tokenizer.type", value: "'\(type)'")
        }
    }
}
