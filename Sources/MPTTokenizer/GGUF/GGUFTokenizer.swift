import MPTCore
import MPTFormats

/// The tokenizer a GGUF file carries (`tokenizer.ggml.*`, as llama.cpp's converter writes it for
/// a byte-level BPE model), turned back into the `tokenizer.json` it came from so the one
/// tokenizer reader (`TokenizerJSON`) builds it.
///
/// A GGUF stores no normalizer, pre-tokenizer or decoder: the pre-tokenizer is implied by
/// `tokenizer.ggml.pre` (only the GPT-2 regex family is accepted: `gpt-2`, `gpt2`, `mpt`, `olmo`,
/// which llama.cpp treats identically), the decoder is ByteLevel, and the normalizer is the NFC
/// that GPT-NeoX's (MPT's) tokenizer.json declares — llama.cpp applies none, so on text that is
/// not already NFC its ids may differ from ours and HF's. Token types map back to added tokens:
/// CONTROL (3) → special, not normalized; USER_DEFINED (4) → not special, normalized (GPT-NeoX's
/// whitespace tokens); UNUSED (5, the converter's `[PAD<i>]` padding) → not in the vocabulary.
public struct GGUFTokenizer: Sendable {
    /// The reconstructed tokenizer.json.
    public let file: TokenizerJSON
    /// `tokenizer.ggml.eos_token_id`, when present.
    public let endOfTextID: Int?
    /// `tokenizer.ggml.bos_token_id`, when present.
    public let beginningOfTextID: Int?

    /// Pre-tokenizer names whose regex is GPT-2's (llama.cpp `LLAMA_VOCAB_PRE_TYPE_GPT2` and the
    /// names mapped to it).
    public static let gpt2PreTokenizers: Set<String> = ["gpt-2", "gpt2", "mpt", "olmo"]

    private enum TokenType: Int {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// Reads the tokenizer of `gguf`; errors are `TokenizerError`s naming the metadata key.
    public init(gguf: GGUFFile, limits: TokenizerLimits = .default) throws {
        try self.init(metadata: gguf.metadata, limits: limits)
    }

    /// Reads the tokenizer from GGUF metadata entries (the first entry of a key counts).
    public init(metadata entries: [(key: String, value: GGUFValue)], limits: TokenizerLimits = .default) throws {
        var metadata: [String: GGUFValue] = [:]
        for (key, value) in entries where key.hasPrefix("tokenizer.") && metadata[key] == nil { metadata[key] = value }
        let gguf = metadata
        let model = try Self.string(gguf, "tokenizer.ggml.model")
        guard model == "gpt2" else { throw TokenizerError.unsupported(key: "tokenizer.ggml.model", value: "'\(model)' (only gpt2 byte-level BPE)") }
        let pre = try Self.string(gguf, "tokenizer.ggml.pre")
        guard Self.gpt2PreTokenizers.contains(pre) else {
            throw TokenizerError.unsupported(key: "tokenizer.ggml.pre", value: "'\(pre)' (only the GPT-2 regex family: \(Self.gpt2PreTokenizers.sorted().joined(separator: ", ")))")
        }
        let tokens = try Self.strings(gguf, "tokenizer.ggml.tokens")
        let types = try Self.integers(gguf, "tokenizer.ggml.token_type", count: tokens.count)
        let merges = gguf["tokenizer.ggml.merges"] == nil ? [] : try Self.strings(gguf, "tokenizer.ggml.merges")

        var vocab: [(key: String, value: JSONValue)] = []
        var added: [JSONValue] = []
        var seen: Set<String> = []
        vocab.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() {
            let type = TokenType(rawValue: types[id]) ?? .normal
            guard type != .unused else { continue }
            if seen.insert(token).inserted { vocab.append((token, .number(String(id)))) }
            guard type == .control || type == .userDefined else { continue }
            let special = type == .control
            added.append(.object([
                ("id", .number(String(id))), ("content", .string(token)), ("single_word", .bool(false)),
                ("lstrip", .bool(false)), ("rstrip", .bool(false)), ("normalized", .bool(!special)), ("special", .bool(special)),
            ]))
        }
        let json: JSONValue = .object([
            ("version", .string("1.0")), ("truncation", .null), ("padding", .null),
            ("added_tokens", .array(added)),
            ("normalizer", .object([("type", .string("NFC"))])),
            ("pre_tokenizer", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                       ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])),
            ("post_processor", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                        ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])),
            ("decoder", .object([("type", .string("ByteLevel")), ("add_prefix_space", .bool(false)),
                                 ("trim_offsets", .bool(true)), ("use_regex", .bool(true))])),
            ("model", .object([
                ("type", .string("BPE")), ("dropout", .null), ("unk_token", .null), ("continuing_subword_prefix", .null),
                ("end_of_word_suffix", .null), ("fuse_unk", .bool(false)), ("byte_fallback", .bool(false)),
                ("vocab", .object(vocab)), ("merges", .array(try merges.enumerated().map(Self.mergePair))),
            ])),
        ])
        file = try TokenizerJSON(json: json, limits: limits)
        endOfTextID = gguf["tokenizer.ggml.eos_token_id"]?.intValue
        beginningOfTextID = gguf["tokenizer.ggml.bos_token_id"]?.intValue
    }

    /// `"left right"` split as llama.cpp splits it (at the first space after the first
    /// character), as the `[left, right]` pair form of tokenizer.json.
    private static func mergePair(_ indexed: (offset: Int, element: String)) throws -> JSONValue {
        let merge = indexed.element
        guard let space = merge.unicodeScalars.dropFirst().firstIndex(of: " ") else {
            throw TokenizerError.malformedMerge(index: indexed.offset)
        }
        let left = String(merge.unicodeScalars[..<space])
        let right = String(merge.unicodeScalars[merge.unicodeScalars.index(after: space)...])
        guard !right.isEmpty else { throw TokenizerError.malformedMerge(index: indexed.offset) }
        return .array([.string(left), .string(right)])
    }

    private static func string(_ gguf: [String: GGUFValue], _ key: String) throws -> String {
        guard let value = gguf[key] else { throw TokenizerError.missingKey(key) }
        guard let text = value.stringValue else { throw TokenizerError.wrongType(key: key, expected: "a string", found: "\(value.type)") }
        return text
    }

    private static func strings(_ gguf: [String: GGUFValue], _ key: String) throws -> [String] {
        guard let value = gguf[key] else { throw TokenizerError.missingKey(key) }
        guard let elements = value.arrayElements else { throw TokenizerError.wrongType(key: key, expected: "an array of strings", found: "\(value.type)") }
        return try elements.map { element in
            guard let text = element.stringValue else { throw TokenizerError.wrongType(key: key, expected: "an array of strings", found: "an array of \(element.type)") }
            return text
        }
    }

    private static func integers(_ gguf: [String: GGUFValue], _ key: String, count: Int) throws -> [Int] {
        guard let value = gguf[key] else { throw TokenizerError.missingKey(key) }
        guard let elements = value.arrayElements else { throw TokenizerError.wrongType(key: key, expected: "an array of integers", found: "\(value.type)") }
        guard elements.count == count else {
            throw TokenizerError.wrongType(key: key, expected: "\(count) entries (one per token)", found: "\(elements.count)")
        }
        return try elements.map { element in
            guard let number = element.intValue else { throw TokenizerError.wrongType(key: key, expected: "an array of integers", found: "an array of \(element.type)") }
            return number
        }
    }
}
