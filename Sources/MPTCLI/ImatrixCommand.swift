import ArgumentParser
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant
import MPTReference

/// `mpt-imatrix MODEL --text-file F -o imatrix.gguf`: an importance matrix collected from
/// MPTKit's own forward pass, as llama-imatrix collects it, written in llama.cpp's imatrix format.
public struct ImatrixCommand: ParsableCommand {
    /// The on-disk forms `--output-format` takes (llama-imatrix's names).
    public enum FileForm: String, ExpressibleByArgument, Sendable {
        case gguf, dat
    }

    public static let configuration = CommandConfiguration(
        commandName: "mpt-imatrix",
        abstract: "Collect an importance matrix (llama-imatrix's statistics) over a calibration text with MPTKit's forward pass.",
        discussion: """
        For every block linear weight (attn_qkv, attn_output, ffn_up, ffn_down) the per-input-column sum of squared \
        activations over every token of every chunk, and the number of tokens summed. Chunks are non-overlapping runs \
        of --ctx tokens (the text must hold at least two); the output head is not collected, as llama-imatrix without \
        --process-output. The file is what `llama-quantize --imatrix` and `mpt-convert --imatrix` read.
        """)

    @Argument(help: "Model directory or weights file (any format mpt-convert reads).")
    var model: String

    @Option(help: "UTF-8 calibration text.")
    var textFile: String

    @Option(help: "Tokens per chunk (llama-imatrix's -c).")
    var ctx = 512

    @Option(help: "At most this many chunks (default: every whole chunk of the text).")
    var chunks: Int?

    @Option(name: [.customShort("o"), .customLong("output")], help: "The imatrix file to write.")
    var output: String

    @Option(help: "gguf (llama-imatrix's default) or dat (the legacy form).")
    var outputFormat: FileForm = .gguf

    @OptionGroup var threading: ThreadOptions
    @OptionGroup var sequenceLength: SequenceLengthOption
    @OptionGroup var quiet: QuietOption

    public init() {}

    public func validate() throws {
        guard ctx >= 4 else { throw ValidationError("--ctx must be at least 4") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be 1 or more") }
    }

    public func run() throws {
        try runReportingErrors(tool: "mpt-imatrix") {
            let model = try sequenceLength.apply(to: try ModelLoading.model(at: self.model), path: self.model)
            guard ctx <= model.config.maxSeqLen else {
                throw FileError(path: self.model, underlying: ImatrixCommandFailure.contextTooLong(ctx: ctx, maxSeqLen: model.config.maxSeqLen))
            }
            try OutputPaths.check(output: output, replacesNoneOf: [model.checkpoint], others: [textFile])
            guard let tokenizerPath = model.checkpoint.tokenizerPath else { throw TokenizerLoading.Failure.noTokenizer(model: self.model) }
            let text = try TokenizerLoading.text(ofFile: textFile)
            let ids = try TokenizerLoading.tokenizer(at: tokenizerPath).encode(text, threads: threading.threads).map(Int.init)
            let plan = try attributing(to: textFile) {
                do {
                    return try TextChunking(tokenCount: ids.count, context: ctx, limit: chunks)
                } catch TextChunking.Failure.textTooShort(let tokens, let needed, _) {
                    throw ImatrixCommandFailure.textTooShort(tokens: tokens, needed: needed, ctx: ctx)
                }
            }
            let forward = try MPTForward(config: model.config, weights: ModelWeightProvider(model: model), threads: threading.threads)
            let line = ProgressLine("mpt-imatrix", total: plan.chunks, unit: .chunks, quiet: quiet.quiet)
            let imatrix = try attributing(to: self.model) {
                try ImatrixCollection.collect(forward: forward, tokens: ids, chunking: plan, bos: nil, dataset: textFile) { done, total in
                    line.advance(by: 1, item: "chunk \(done)/\(total)")
                }
            }
            line.finish()
            switch outputFormat {
            case .gguf: try imatrix.writeGGUF(to: output)
            case .dat: try imatrix.writeLegacy(to: output)
            }
            print(ImatrixSummary(imatrix: imatrix, config: model.config, output: output, form: outputFormat.rawValue).line)
        }
    }
}

/// Problems of an `mpt-imatrix` run that are about its input.
enum ImatrixCommandFailure: Error, Sendable, CustomStringConvertible {
    case contextTooLong(ctx: Int, maxSeqLen: Int)
    case textTooShort(tokens: Int, needed: Int, ctx: Int)

    var description: String {
        switch self {
        case let .contextTooLong(ctx, maxSeqLen):
            return "--ctx \(ctx) exceeds the model's max_seq_len \(maxSeqLen) (an ALiBi model takes --max-seq-len)"
        case let .textTooShort(tokens, needed, ctx):
            return "the text has \(tokens) tokens; collecting with --ctx \(ctx) needs at least \(needed) (two chunks, as llama-imatrix)"
        }
    }
}
