import MPTCore
import MPTFormats

/// The one reader of a Hugging Face fast-tokenizer file (`tokenizer.json`) describing a
/// byte-level BPE tokenizer (GPT-2, GPT-NeoX/MPT, …). One parse gives everything its users need:
/// the model (vocabulary, merges, unknown token), the added tokens with the ids HF gives them,
/// and the declared pipeline stages around the model. Structure, ids and merges are checked
/// here against one set of `TokenizerLimits`; whether a declared stage is supported is up to
/// the user (`BPETokenizer`, the GGUF vocabulary), since each maps a different subset.
public struct TokenizerJSON: Sendable {
    /// `model`: vocabulary, merges and options of the BPE model.
    public let model: TokenizerModel
    /// `added_tokens` in file order (empty contents dropped, as HF does), each with the id HF
    /// assigns when loading.
    public let addedTokens: [TokenizerAddedToken]
    /// `normalizer`, or `nil` when absent or null.
    public let normalizer: TokenizerNormalizer?
    /// `pre_tokenizer`, or `nil` when absent or null.
    public let preTokenizer: TokenizerPreTokenizer?
    /// `post_processor`, or `nil` when absent or null.
    public let postProcessor: TokenizerPostProcessor?
    /// `decoder`, or `nil` when absent or null.
    public let decoder: TokenizerDecoder?
    /// Whether `truncation` is set (not null).
    public let truncates: Bool
    /// Whether `padding` is set (not null).
    public let pads: Bool
    /// The added vocabulary as HF builds it (matching order, token per id, special contents).
    let addedVocabulary: AddedVocabularyBuilder

    /// Reads `path`; errors are `FileError`s naming it.
    public static func read(path: String, limits: TokenizerLimits = .default) throws -> TokenizerJSON {
        try attributing(to: path) {
            let storage = try ByteStorage(mappingFileAt: path)
            guard storage.count <= limits.maxFileBytes else {
                throw TokenizerError.fileTooLarge(bytes: storage.count, limit: limits.maxFileBytes)
            }
            return try TokenizerJSON(bytes: try storage.copyBytes(offset: 0, length: storage.count), limits: limits)
        }
    }

    /// Parses the bytes of a `tokenizer.json`.
    public init(bytes: [UInt8], limits: TokenizerLimits = .default) throws {
        guard bytes.count <= limits.maxFileBytes else {
            throw TokenizerError.fileTooLarge(bytes: bytes.count, limit: limits.maxFileBytes)
        }
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes, maxDepth: limits.maxJSONDepth)
        } catch let error as JSONError {
            throw TokenizerError.invalidJSON(error)
        }
        try self.init(json: root, limits: limits)
    }

    /// Interprets a parsed `tokenizer.json`.
    public init(json root: JSONValue, limits: TokenizerLimits = .default) throws {
        guard root.objectMembers != nil else {
            throw TokenizerError.wrongType(key: "(root)", expected: "an object", found: root.typeName)
        }
        truncates = root["truncation"].map { !$0.isNull } ?? false
        pads = root["padding"].map { !$0.isNull } ?? false
        normalizer = try TokenizerNormalizer.read(root["normalizer"], key: "normalizer")
        preTokenizer = try TokenizerPreTokenizer.read(root["pre_tokenizer"], key: "pre_tokenizer")
        postProcessor = try TokenizerPostProcessor.read(root["post_processor"])
        decoder = try TokenizerDecoder.read(root["decoder"])
        guard let modelJSON = root["model"], !modelJSON.isNull else { throw TokenizerError.missingKey("model") }
        model = try TokenizerModel(json: modelJSON, limits: limits)
        addedVocabulary = try AddedVocabularyBuilder(list: root["added_tokens"], model: model, limits: limits)
        addedTokens = addedVocabulary.fileOrder
    }

    /// One more than the largest id the tokenizer knows (model vocabulary and added tokens).
    public var idBound: Int {
        addedVocabulary.tokensByID.keys.reduce(model.idBound) { max($0, Int($1) + 1) }
    }

    /// The token text of every id below `idBound` as HF's `id_to_token` gives it (an added token
    /// takes precedence over a vocabulary entry), `nil` for ids the tokenizer lacks.
    public func tokenTexts() -> [String?] {
        var texts = [String?](repeating: nil, count: idBound)
        for (id, text) in model.textsByID { texts[Int(id)] = text }
        for (id, token) in addedVocabulary.tokensByID { texts[Int(id)] = token.content }
        return texts
    }
}
