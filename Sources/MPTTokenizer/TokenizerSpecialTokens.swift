import MPTFormats

/// The special-token ids and "add BOS/EOS" flags of a Hugging Face tokenizer, resolved the way
/// gguf-py's `SpecialVocab` does: the post-processor first (ByteLevel: add nothing;
/// RobertaProcessing: add BOS/EOS/SEP; TemplateProcessing: a leading/trailing special token),
/// then `tokenizer_config.json` (`add_<kind>_token`, `<kind>_token` looked up among the added
/// tokens), then `config.json` (`<kind>_token_id`). The first value found for a kind wins.
public struct TokenizerSpecialTokens: Sendable, Equatable {
    /// Special-token kinds in the order gguf-py checks them.
    public static let kinds = ["bos", "eos", "unk", "sep", "pad", "cls", "mask"]

    /// Token id by kind (`bos`, `eos`, `unk`, `sep`, `pad`, `cls`, `mask`), in `kinds` order.
    public var ids: [(kind: String, id: Int)]
    /// Whether the tokenizer adds a token of that kind (`bos`, `eos`, `sep`), in discovery order.
    public var addFlags: [(kind: String, value: Bool)]
    /// `chat_template` from `tokenizer_config.json`, when it is a string.
    public var chatTemplate: String?

    public static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.ids.elementsEqual(rhs.ids) { $0 == $1 } && lhs.addFlags.elementsEqual(rhs.addFlags) { $0 == $1 }
            && lhs.chatTemplate == rhs.chatTemplate
    }

    /// The id for `kind`, if resolved.
    public func id(_ kind: String) -> Int? { ids.first { $0.kind == kind }?.id }

    /// The add flag for `kind`, if resolved.
    public func adds(_ kind: String) -> Bool? { addFlags.first { $0.kind == kind }?.value }

    /// Resolves the special tokens of `tokenizer` with its optional `tokenizer_config.json` and
    /// model `config.json`. Ids outside `0..<vocabSize` are dropped (gguf-py skips them too when it
    /// knows the vocabulary size).
    public init(tokenizer: TokenizerJSON, tokenizerConfig: JSONValue?, modelConfig: JSONValue?, vocabSize: Int) {
        var ids: [String: Int] = [:]
        var flags: [(kind: String, value: Bool)] = []
        func setFlag(_ kind: String, _ value: Bool, overwrite: Bool) {
            if let index = flags.firstIndex(where: { $0.kind == kind }) {
                if overwrite { flags[index].value = value }
            } else {
                flags.append((kind, value))
            }
        }
        var tokenText: [String: String] = [:]
        for kind in Self.kinds {
            if let text = Self.tokenText(tokenizerConfig?[kind + "_token"]) { tokenText[kind] = text }
        }
        if tokenText["bos"] == nil, let cls = tokenText["cls"] { tokenText["bos"] = cls }
        if tokenText["eos"] == nil, let sep = tokenText["sep"] { tokenText["eos"] = sep }

        let processors = tokenizer.postProcessor.map { $0.json["processors"]?.arrayValue ?? [$0.json] } ?? []
        for processor in processors {
            switch processor["type"]?.stringValue {
            case "ByteLevel":
                setFlag("bos", false, overwrite: false)
                setFlag("eos", false, overwrite: false)
            case "RobertaProcessing":
                for kind in ["bos", "eos", "sep"] { setFlag(kind, true, overwrite: true) }
            case "TemplateProcessing":
                let single = processor["single"]?.arrayValue ?? []
                guard single.count > 1 else { continue }
                if let first = single.first?["SpecialToken"]?["id"]?.stringValue {
                    if tokenizerConfig == nil { tokenText["bos"] = first }
                    setFlag("bos", first == tokenText["bos"] || first == tokenText["cls"], overwrite: true)
                }
                if let last = single.last?["SpecialToken"]?["id"]?.stringValue {
                    if tokenizerConfig == nil { tokenText["eos"] = last }
                    setFlag("eos", last == tokenText["eos"], overwrite: true)
                }
            default:
                continue
            }
        }
        if let tokenizerConfig {
            for kind in Self.kinds {
                if let flag = tokenizerConfig["add_\(kind)_token"]?.boolValue { setFlag(kind, flag, overwrite: false) }
                guard ids[kind] == nil, let text = tokenText[kind],
                      let id = tokenizer.addedTokens.first(where: { $0.content == text })?.id, id < vocabSize else { continue }
                ids[kind] = id
            }
            chatTemplate = tokenizerConfig["chat_template"]?.stringValue
        } else {
            chatTemplate = nil
        }
        for kind in Self.kinds where ids[kind] == nil {
            if let id = modelConfig?[kind + "_token_id"]?.intValue, id >= 0, id < vocabSize { ids[kind] = id }
        }
        self.ids = Self.kinds.compactMap { kind in ids[kind].map { (kind, $0) } }
        self.addFlags = flags
    }

    /// A `<kind>_token` entry: a string, or an object with a string `content`.
    private static func tokenText(_ value: JSONValue?) -> String? {
        guard let value else { return nil }
        return value.stringValue ?? value["content"]?.stringValue
    }
}
