import MPTFormats
import MPTGraph
import MPTReference
import MPTTokenizer

/// The prompt of `mpt-verify` and `mpt-generate`: `--tokens`, `--prompt` or `--prompt-file`.
struct PromptInput {
    /// `--tokens` (comma-separated ids).
    var tokens: String?
    /// `--prompt`.
    var text: String?
    /// `--prompt-file`.
    var file: String?

    /// Whether more than one of the three was given.
    var isAmbiguous: Bool { [tokens != nil, text != nil, file != nil].filter { $0 }.count > 1 }

    /// The prompt's ids: the text tokenized with the tokenizer `loadTokenizer` gives (called only
    /// for a text prompt; an error naming `modelLabel` when it gives none), or the parsed
    /// `--tokens`; `nil` when none was given.
    /// Text prompts longer than `limit` are cut to it with a note on standard error from `tool`.
    func ids(tokenizer loadTokenizer: () throws -> BPETokenizer?, modelLabel: String, limit: Int, tool: String) throws -> [Int]? {
        if let tokens { return try TokenSequence.parse(tokens) }
        guard let prompt = try text ?? file.map(TokenizerLoading.text(ofFile:)) else { return nil }
        guard let tokenizer = try loadTokenizer() else { throw TokenizerLoading.Failure.noTokenizer(model: modelLabel) }
        let ids = tokenizer.encode(prompt).map(Int.init)
        guard ids.count > limit else { return ids }
        printError("\(tool): note: the prompt is \(ids.count) tokens; using the first \(limit) (max_seq_len)")
        return Array(ids.prefix(limit))
    }
}
