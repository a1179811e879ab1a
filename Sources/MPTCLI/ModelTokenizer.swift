import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTTokenizer

/// A model's tokenizer.json, read once: the parsed file (for its special tokens) and the BPE
/// tokenizer built from it.
public struct ModelTokenizer: Sendable {
    /// The tokenizer.json.
    public let path: String
    /// The parsed file.
    public let file: TokenizerJSON
    /// The tokenizer built from `file`.
    public let bpe: BPETokenizer

    /// Reads `path`; errors name the file.
    public init(path: String) throws {
        self.path = path
        file = try TokenizerJSON.read(path: path)
        let file = file
        bpe = try attributing(to: path) { try BPETokenizer(file) }
    }

    /// The end-of-text id, resolved like the GGUF export does (post-processor, then the
    /// `tokenizer_config.json` beside the file, then the model's `config.json`), or nil.
    func endOfTextID(model: MPTModel) throws -> Int? {
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        let tokenizerConfig = try CheckpointLoader.readConfig(directory + "/tokenizer_config.json", required: false)
        let special = TokenizerSpecialTokens(tokenizer: file, tokenizerConfig: tokenizerConfig,
                                             modelConfig: model.checkpoint.config, vocabSize: model.config.vocabSize)
        return special.id("eos")
    }
}
