import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTTokenizer

/// A model's tokenizer, read once: a tokenizer.json, or the tokenizer stored in a GGUF file
/// (`GGUFTokenizer`). Holds the parsed file (for its special tokens) and the BPE tokenizer.
public struct ModelTokenizer: Sendable {
    /// The tokenizer.json, or the GGUF file whose metadata holds the tokenizer.
    public let path: String
    /// The parsed (or, for a GGUF, reconstructed) tokenizer.json.
    public let file: TokenizerJSON
    /// The tokenizer built from `file`.
    public let bpe: BPETokenizer
    /// The GGUF's `tokenizer.ggml.eos_token_id` when the tokenizer came from a GGUF.
    private let storedEndOfTextID: Int?
    private let fromGGUF: Bool

    /// Reads `path` (a `.gguf` file: its stored tokenizer); errors name the file.
    public init(path: String) throws {
        self.path = path
        if path.hasSuffix(".gguf") {
            let stored = try attributing(to: path) { try GGUFTokenizer(gguf: try GGUFFile.read(path: path)) }
            file = stored.file
            storedEndOfTextID = stored.endOfTextID
            fromGGUF = true
        } else {
            file = try TokenizerJSON.read(path: path)
            storedEndOfTextID = nil
            fromGGUF = false
        }
        let file = file
        bpe = try attributing(to: path) { try BPETokenizer(file) }
    }

    /// The end-of-text id: a GGUF's `tokenizer.ggml.eos_token_id`; for a tokenizer.json resolved
    /// like the GGUF export does (post-processor, then the `tokenizer_config.json` beside the
    /// file, then the model's `config.json`), or nil.
    func endOfTextID(model: MPTModel) throws -> Int? {
        if fromGGUF { return storedEndOfTextID }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let tokenizerConfig = try CheckpointLoader.readConfig(directory + "/tokenizer_config.json", required: false)
        let special = TokenizerSpecialTokens(tokenizer: file, tokenizerConfig: tokenizerConfig,
                                             modelConfig: model.checkpoint.config, vocabSize: model.config.vocabSize)
        return special.id("eos")
    }
}
