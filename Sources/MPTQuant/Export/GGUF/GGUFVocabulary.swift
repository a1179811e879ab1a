import MPTCore
import MPTFormats
import MPTTokenizer

/// A Hugging Face byte-level BPE tokenizer as llama.cpp's `tokenizer.ggml.*` metadata, built the
/// way `convert_hf_to_gguf.py` (`_set_vocab_gpt2`, gguf-py `SpecialVocab`) builds it.
public struct GGUFVocabulary: Sendable {
    /// llama.cpp token types (`llama_token_type`, gguf-py `TokenType`).
    public enum TokenType: Int32, Sendable {
        case normal = 1, unknown = 2, control = 3, userDefined = 4, unused = 5, byte = 6
    }

    /// `tokenizer.ggml.pre` for the GPT-NeoX tokenizer of MPT. The converter recognizes it by a
    /// hash of its encoding of a test text; that hash is listed for both mosaicml/mpt-7b ("mpt")
    /// and OLMo ("olmo"), and the later entry wins, so the converter writes "olmo". llama.cpp
    /// treats "gpt2", "mpt" and "olmo" identically (same regex, same flags).
    public static let preTokenizerName = "olmo"

    /// Token texts, exactly `vocabSize` of them (`[PAD<i>]` for ids the tokenizer lacks).
    public var tokens: [String]
    /// One type per token.
    public var tokenTypes: [TokenType]
    /// Merge rules, `"left right"`.
    public var merges: [String]
    /// Special tokens and add flags.
    public var special: TokenizerSpecialTokens

    /// Builds the vocabulary padded to `vocabSize` (the embedding's row count). The tokenizer
    /// must be byte-level BPE with GPT-2's pre-tokenizer regex and no prefix space; any other
    /// pipeline would tokenize differently in llama.cpp and is refused.
    public init(tokenizer: TokenizerJSON, tokenizerConfig: JSONValue?, modelConfig: JSONValue?, vocabSize: Int) throws {
        try Self.checkPipeline(tokenizer)
        let byID = tokenizer.tokenTexts()
        if byID.count > vocabSize {
            throw GGUFExportError.unsupportedTokenizer("token id \(byID.count - 1) does not fit the model's vocabulary of \(vocabSize)")
        }
        var addedByContent: [String: TokenizerAddedToken] = [:]
        for token in tokenizer.addedTokens where addedByContent[token.content] == nil { addedByContent[token.content] = token }
        var tokens: [String] = []
        var types: [TokenType] = []
        tokens.reserveCapacity(vocabSize)
        types.reserveCapacity(vocabSize)
        for id in 0..<vocabSize {
            guard id < byID.count, let text = byID[id] else {
                tokens.append("[PAD\(id)]")
                types.append(.unused)
                continue
            }
            if let added = addedByContent[text] {
                if added.special || Self.looksSpecial(text) {
                    tokens.append(text)
                    types.append(.control)
                } else {
                    tokens.append(Self.spacesForMetaspace(text))
                    types.append(.userDefined)
                }
            } else {
                tokens.append(text)
                types.append(.normal)
            }
        }
        self.tokens = tokens
        self.tokenTypes = types
        self.merges = tokenizer.model.merges.map { Self.encodeSpaces($0.left) + " " + Self.encodeSpaces($0.right) }
        self.special = TokenizerSpecialTokens(tokenizer: tokenizer, tokenizerConfig: tokenizerConfig, modelConfig: modelConfig, vocabSize: vocabSize)
    }

    /// The `tokenizer.*` metadata entries, in the converter's order.
    public var metadata: [(key: String, value: GGUFValue)] {
        var entries: [(key: String, value: GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(Self.preTokenizerName)),
            ("tokenizer.ggml.tokens", .strings(tokens)),
            ("tokenizer.ggml.token_type", .int32s(tokenTypes.map(\.rawValue))),
        ]
        if !merges.isEmpty { entries.append(("tokenizer.ggml.merges", .strings(merges))) }
        let idKeys = ["bos": "bos_token_id", "eos": "eos_token_id", "unk": "unknown_token_id", "sep": "seperator_token_id",
                      "pad": "padding_token_id", "cls": "cls_token_id", "mask": "mask_token_id"]
        for (kind, id) in special.ids {
            guard let key = idKeys[kind], let value = UInt32(exactly: id) else { continue }
            entries.append(("tokenizer.ggml." + key, .uint32(value)))
        }
        for (kind, value) in special.addFlags where ["bos", "eos", "sep"].contains(kind) {
            entries.append(("tokenizer.ggml.add_\(kind)_token", .bool(value)))
        }
        if let template = special.chatTemplate { entries.append(("tokenizer.chat_template", .string(template))) }
        return entries
    }

    /// U+2581 (`▁`) → space, the converter's pre-normalization of user-defined tokens.
    static func spacesForMetaspace(_ text: String) -> String {
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars { scalars.append(scalar == "\u{2581}" ? " " : scalar) }
        return String(scalars)
    }

    /// gguf-py's `does_token_look_special`: `<|…|>`, `<｜…｜>`, `<unused…>`, and a few names.
    static func looksSpecial(_ text: String) -> Bool {
        if ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].contains(text) { return true }
        if text.hasPrefix("<|") && text.hasSuffix("|>") { return true }
        if text.hasPrefix("<\u{FF5C}") && text.hasSuffix("\u{FF5C}>") { return true }
        return text.hasPrefix("<unused") && text.hasSuffix(">")
    }

    /// A merge part for `tokenizer.ggml.merges`: spaces inside become U+0120 (`Ġ`, space + 256),
    /// gguf-py's encoding of the pair form, so the pair and string forms give the same list.
    static func encodeSpaces(_ part: String) -> String {
        guard part.contains(" ") else { return part }
        return String(part.map { $0 == " " ? "\u{0120}" : $0 })
    }

    private static func checkPipeline(_ tokenizer: TokenizerJSON) throws {
        guard case let .byteLevel(addPrefixSpace, useRegex) = tokenizer.preTokenizer else {
            let found = tokenizer.preTokenizer?.typeName ?? "none"
            throw GGUFExportError.unsupportedTokenizer("pre-tokenizer is \(found); only a plain ByteLevel pre-tokenizer (GPT-2 regex) is mapped")
        }
        if !useRegex {
            throw GGUFExportError.unsupportedTokenizer("ByteLevel pre-tokenizer with use_regex false has no llama.cpp equivalent")
        }
        if addPrefixSpace {
            throw GGUFExportError.unsupportedTokenizer("ByteLevel pre-tokenizer adds a prefix space, which llama.cpp's gpt2 tokenizer does not")
        }
        if let normalizer = tokenizer.normalizer, normalizer != .nfc {
            throw GGUFExportError.unsupportedTokenizer("normalizer \(normalizer.typeName) has no llama.cpp equivalent for BPE vocabularies")
        }
    }
}
