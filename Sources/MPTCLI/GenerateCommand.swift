import ArgumentParser
import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTReference
import MPTTokenizer

/// `mpt-generate MODEL --prompt "…" --max-tokens N`: greedy decoding with a key/value cache.
public struct GenerateCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mpt-generate",
        abstract: "Greedily continue a prompt with an MPT model (any checkpoint mpt-verify reads) and print prompt + continuation.",
        discussion: """
        mpt-generate MODEL --prompt "Once upon a time" --max-tokens 32
        mpt-generate MODEL --tokens 1147,434,2127 --max-tokens 8      ids in, ids out (no tokenizer needed)

        Text needs a tokenizer.json in MODEL's directory, the tokenizer a GGUF MODEL stores, or --tokenizer. \
        Generation stops at the tokenizer's end-of-text token (--ignore-eos to go on), \
        after --max-tokens tokens, or at max_seq_len, whichever comes first \
        (without a tokenizer there is no end-of-text token to stop at).

        Weights are read in place from the mapped file at every step. Unless --quiet, a last line on \
        stderr gives the kernel level and the prefill and decoding rates (tokens/s; decoding \
        excludes loading and the prefill, as llama-bench's tg).
        """)

    @Argument(help: "Model directory or weights file (.safetensors, .bin, .gguf).")
    var model: String

    @Option(help: "Text to continue.")
    var prompt: String?

    @Option(help: "UTF-8 file whose text is the prompt.")
    var promptFile: String?

    @Option(help: "Comma-separated prompt token ids (instead of text).")
    var tokens: String?

    @Option(help: "Number of tokens to generate.")
    var maxTokens: Int = 32

    @Option(help: "tokenizer.json (or a directory holding one) to use instead of MODEL's.")
    var tokenizer: String?

    @Flag(help: "Also print the generated ids on a last line.")
    var printIds = false

    @Flag(help: "Keep generating past the tokenizer's end-of-text token.")
    var ignoreEos = false

    @OptionGroup var threading: ThreadOptions

    @OptionGroup var sequenceLength: SequenceLengthOption

    public init() {}

    private var threads: Int { threading.threads }

    @OptionGroup var quiet: QuietOption

    private var input: PromptInput { PromptInput(tokens: tokens, text: prompt, file: promptFile) }

    public func validate() throws {
        guard maxTokens >= 0 else { throw ValidationError("--max-tokens must be 0 or more") }
        if input.isAmbiguous { throw ValidationError("give only one of --tokens, --prompt and --prompt-file") }
        if tokens == nil && prompt == nil && promptFile == nil {
            throw ValidationError("give a prompt: --prompt, --prompt-file or --tokens")
        }
    }

    public func run() throws {
        try runReportingErrors(tool: "mpt-generate") {
            let loaded = try sequenceLength.apply(to: ModelLoading.model(at: model), path: model)
            let config = loaded.config
            let tokenizerPath = try tokenizer.map(TokenizerLoading.tokenizerPath(for:)) ?? loaded.checkpoint.tokenizerPath
            let modelTokenizer = try tokenizerPath.map(ModelTokenizer.init(path:))
            let ids = try input.ids(tokenizer: { modelTokenizer?.bpe }, modelLabel: model, limit: config.maxSeqLen, tool: "mpt-generate") ?? []
            try TokenSequence.validate(ids, vocab: config.vocabSize, maxLength: config.maxSeqLen)
            let count = GenerationRunning.cappedCount(maxTokens, promptLength: ids.count, config: config)
            if count < maxTokens {
                printError("mpt-generate: note: stopping after \(count) tokens at max_seq_len \(config.maxSeqLen)")
            }
            let output = StreamingText(tokenizer: modelTokenizer?.bpe)
            output.start(prompt: ids, text: prompt)
            let endOfText = ignoreEos ? nil : try modelTokenizer?.endOfTextID(model: loaded)
            // When the text streams to the terminal it is its own progress; the line is for
            // output going to a file or a pipe.
            let progress = ProgressLine("mpt-generate", total: count, unit: .tokens,
                                        enabled: !quiet.quiet && isatty(2) != 0 && isatty(1) == 0)
            let generation = try GenerationRunning.generation(
                model: loaded, prompt: ids, count: count, threads: threads, stopTokens: Set(endOfText.map { [$0] } ?? [])
            ) {
                output.append($0)
                progress.advance(by: 1)
            }
            let generated = generation.generated
            progress.finish()
            output.finish()
            if !quiet.quiet { printError("mpt-generate: \(GenerationRunning.speedLine(generation.timing))") }
            if let endOfText, generated.last == endOfText {
                printError("mpt-generate: note: stopped at the end-of-text token \(endOfText) after \(generated.count) tokens (--ignore-eos to go on)")
            }
            if printIds { print(generated.map(String.init).joined(separator: ",")) }
        }
    }
}
