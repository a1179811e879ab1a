import ArgumentParser
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant
import MPTReference
import MPTTokenizer

/// Forward-pass precision.
public enum Precision: String, ExpressibleByArgument, Sendable {
    case f32, f64
}

/// `mpt-verify REF [CANDIDATE]`: runs the reference forward pass and reports logit parity.
public struct VerifyCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mpt-verify",
        abstract: "Run MPT forward passes and report logit parity (exit 0 pass, 1 fail, 2 bad input).",
        discussion: """
        mpt-verify MODEL --dump-logits out.npy           run MODEL and save its logits
        mpt-verify MODEL --reference-logits ref.npy      compare MODEL with stored logits
        mpt-verify REF CANDIDATE                         run both and compare
        mpt-verify MODEL --prompt "Hello world"          tokenize text with MODEL's tokenizer.json
        mpt-verify MODEL --merge-lora ADAPTER --reference-logits merged.npy
                                                         merge a LoRA adapter in memory, then compare
        mpt-verify REF CANDIDATE --generate 32           also greedy-decode 32 tokens on both; passing then
                                                         also needs enough leading tokens to agree
        mpt-verify REF CANDIDATE --text-file T --ctx 512 score a text as llama-perplexity --kl-divergence does
        mpt-verify CANDIDATE --kl-base BASE.kld           score against llama-perplexity's --kl-divergence-base file
        Without --tokens or a prompt, a fixed sequence is used: (i*7919+11) mod vocab for i = 0..<32.
        """)

    @Argument(help: "Reference model (or the only model).")
    var reference: String

    @Argument(help: "Candidate model to compare with the reference.")
    var candidate: String?

    @Option(help: "Comma-separated token ids.")
    var tokens: String?

    @Option(help: "Text to run, tokenized with the reference model's tokenizer.json (instead of --tokens).")
    var prompt: String?

    @Option(help: "UTF-8 file whose text is the prompt (like --prompt).")
    var promptFile: String?

    @Option(help: "Write the (last) model's logits as a float32 .npy of shape (tokens, vocab).")
    var dumpLogits: String?

    @Option(help: "Compare with logits stored in a .npy (float32 or float64, shape (tokens, vocab)).")
    var referenceLogits: String?

    @Option(help: ArgumentHelp("Merge a peft LoRA adapter directory into the (first) model before running it.", valueName: "adapter-dir"))
    var mergeLora: String?

    @Option(help: "Forward precision: f32 (fast) or f64 (slow exact reference).")
    var precision: Precision = .f32

    @Option(help: "Maximum relative L2 distance to pass (default depends on the candidate's kind).")
    var maxRelL2: Double?

    @Option(help: "Greedily generate N tokens after the prompt on both models; passing then also needs their agreement.")
    var generate: Int?

    @Option(help: "Leading generated tokens that must agree to pass (default depends on the candidate's kind).")
    var minAgree: Int?

    @Option(help: "Score this UTF-8 text with both models as llama-perplexity --kl-divergence does (needs CANDIDATE).")
    var textFile: String?

    @Option(help: "llama-perplexity --kl-divergence-base file: score the model against it on the file's own tokens.")
    var klBase: String?

    @Option(help: "Largest mean KL divergence (nats) that passes a --text-file run (default depends on the candidate's kind).")
    var maxMeanKl: Double?

    @Option(help: "Smallest fraction (0…1) of positions with the same top token that passes a --text-file run (default depends on the candidate's kind).")
    var minSameTop: Double?

    @Option(help: "Tokens per scored chunk with --text-file (llama-perplexity's -c).")
    var ctx: Int = 512

    @Option(help: "Score at most this many chunks (default: every whole chunk of the text).")
    var chunks: Int?

    @OptionGroup var threading: ThreadOptions

    @OptionGroup var sequenceLength: SequenceLengthOption

    @OptionGroup var output: JSONOutputOption

    @OptionGroup var quiet: QuietOption

    public init() {}

    private var threads: Int { threading.threads }
    private var json: Bool { output.json }

    public func validate() throws {
        if candidate != nil && referenceLogits != nil {
            throw ValidationError("give either a CANDIDATE model or --reference-logits, not both")
        }
        if promptInput.isAmbiguous { throw ValidationError("give only one of --tokens, --prompt and --prompt-file") }
        if let generate {
            guard generate >= 1 else { throw ValidationError("--generate must be 1 or more") }
            if referenceLogits != nil { throw ValidationError("--generate needs models, not --reference-logits") }
        }
        if let minAgree, minAgree < 0 { throw ValidationError("--min-agree must be 0 or more") }
        if let maxRelL2, !(maxRelL2 >= 0) { throw ValidationError("--max-rel-l2 must be a non-negative number") }
        try validateScoring()
    }

    public func run() throws {
        var passed = true
        try runReportingErrors(tool: "mpt-verify") {
            passed = try verify()
        }
        if !passed { throw ExitCode(ToolExit.checkFailed) }
    }

    private func verify() throws -> Bool {
        if isScoring { return try score() }
        let referenceModel = try sequenceLength.apply(to: ModelLoading.model(at: reference, mergingLoRA: mergeLora), path: reference)
        let candidateModel = try candidate.map { try sequenceLength.apply(to: ModelLoading.model(at: $0), path: $0) }
        let config = referenceModel.config
        if let candidateModel, candidateModel.config.vocabSize != config.vocabSize {
            throw FileError(path: candidate ?? "", underlying: VerifyFailure.vocabularyMismatch(candidate: candidateModel.config.vocabSize, reference: config.vocabSize))
        }
        let ids = try promptInput.ids(
            tokenizer: { try referenceModel.checkpoint.tokenizerPath.map(TokenizerLoading.tokenizer(at:)) },
            modelLabel: reference, limit: config.maxSeqLen, tool: "mpt-verify")
            ?? TokenSequence.defaultTokens(vocab: config.vocabSize, maxLength: config.maxSeqLen)
        try TokenSequence.validate(ids, vocab: config.vocabSize, maxLength: config.maxSeqLen)
        // Classified before any forward pass: an unrecognized quantized format is an error.
        let candidateKind = try candidateModel.map { model in
            try attributing(to: candidate ?? "") { try CandidateKind.classify(candidate: model, reference: referenceModel) }
        }

        // Every model runs to its hidden states first; the logits are then made row block by row
        // block and handed to the metrics and the dump, so no [tokens × vocab] array is held.
        let referenceRun = try LogitRun(model: referenceModel, tokens: ids, precision: precision, threads: threads, label: "reference", quiet: quiet.quiet)
        let candidateRun = try candidateModel.map {
            try LogitRun(model: $0, tokens: ids, precision: precision, threads: threads, label: "candidate", quiet: quiet.quiet)
        }
        if let dumpLogits {
            try OutputPaths.check(output: dumpLogits, replacesNoneOf: [referenceModel.checkpoint] + (candidateModel.map { [$0.checkpoint] } ?? []),
                                  others: referenceLogits.map { [$0] } ?? [])
        }
        let dump = try dumpLogits.map { path in try attributing(to: path) { try NpyStreamWriter(path: path, rows: ids.count, columns: config.vocabSize) } }
        if let referenceLogits {
            let stored = try attributing(to: referenceLogits) { try NpyArray(contentsOf: referenceLogits) }
            guard stored.shape == [ids.count, config.vocabSize] else {
                throw FileError(path: referenceLogits, underlying: VerifyFailure.shapeMismatch(found: stored.shape, expected: [ids.count, config.vocabSize]))
            }
            // The stored logits are the reference; the model is the candidate.
            let kind = try attributing(to: reference) { try CandidateKind.classify(candidate: referenceModel, reference: nil) }
            var metrics = try ParityAccumulator(vocab: config.vocabSize, positions: ids.count, tokens: ids)
            try stored.values.withUnsafeBufferPointer { values in
                try LogitRun.forEachBlock([referenceRun]) { rows, blocks in
                    let slice = UnsafeBufferPointer(rebasing: values[(rows.lowerBound * config.vocabSize)..<(rows.upperBound * config.vocabSize)])
                    metrics.add(reference: .double(slice), candidate: blocks[0])
                    try dump.map { try blocks[0].append(to: $0) }
                }
            }
            try dump?.commit()
            let report = try metrics.report()
            let verdict = try VerifyVerdict(report: report, kind: kind, maxRelativeL2: maxRelL2)
            return present(report, verdict: verdict, reference: referenceLogits, candidate: referenceLabel, tokens: ids)
        }
        guard let candidateModel, let candidateRun else {
            try LogitRun.forEachBlock([referenceRun]) { _, blocks in try dump.map { try blocks[0].append(to: $0) } }
            try dump?.commit()
            if let generate {
                let generated = try GenerationRunning.generate(model: referenceModel, prompt: ids, count: try generationCount(generate, ids, config), threads: threads)
                let text = GenerationRunning.render(generated, tokenizer: try tokenizer(referenceModel, candidateModel))
                if !json { print("generated:      \(String(reflecting: text))") }
            }
            if !json {
                print("ran \(referenceLabel): \(ids.count) tokens × \(config.vocabSize) logits (\(precision.rawValue))")
                if let dumpLogits { print("wrote \(dumpLogits)") }
            }
            return true
        }
        let fresh = try freshQuantization(reference: referenceModel, candidate: candidateModel)
        let freshRun = try FreshQuantization.isQuantized(candidateModel) ? LogitRun(
            model: fresh.model, tokens: ids, precision: precision, threads: threads, label: "fresh quantization", quiet: quiet.quiet) : nil
        var metrics = try ParityAccumulator(vocab: config.vocabSize, positions: ids.count, tokens: ids)
        var freshMetrics = try ParityAccumulator(vocab: config.vocabSize, positions: ids.count, tokens: ids)
        try LogitRun.forEachBlock([referenceRun, candidateRun] + (freshRun.map { [$0] } ?? [])) { _, blocks in
            metrics.add(reference: blocks[0], candidate: blocks[1])
            if blocks.count > 2 { freshMetrics.add(reference: blocks[0], candidate: blocks[2]) }
            try dump.map { try blocks[1].append(to: $0) }
        }
        try dump?.commit()
        let report = try metrics.report()
        let freshVerdict = try freshVerdict(fresh, report: report, freshReport: freshRun == nil ? nil : try freshMetrics.report())
        var agreement: GenerationAgreement?
        if let generate {
            let count = try generationCount(generate, ids, config)
            agreement = try GenerationRunning.compare(
                reference: referenceModel, candidate: candidateModel, prompt: ids, count: count, threads: threads)
        }
        let verdict = try VerifyVerdict(report: report, kind: candidateKind ?? .exact, maxRelativeL2: maxRelL2,
                                        generation: agreement, requiredAgreement: minAgree, fresh: freshVerdict)
        var generation: GenerationSummary?
        if let check = verdict.generation {
            let bpe = try tokenizer(referenceModel, candidateModel)
            generation = GenerationSummary(
                check: check,
                referenceText: GenerationRunning.render(check.agreement.reference, tokenizer: bpe),
                candidateText: GenerationRunning.render(check.agreement.candidate, tokenizer: bpe))
        }
        return present(report, verdict: verdict, reference: referenceLabel, candidate: candidate ?? "", tokens: ids, generation: generation)
    }

    /// `--generate`, capped so prompt + generation stays within `max_seq_len` (with a note); a
    /// prompt that leaves no room for one token is an error, never an empty pass.
    private func generationCount(_ requested: Int, _ ids: [Int], _ config: MPTConfig) throws -> Int {
        let count = GenerationRunning.cappedCount(requested, promptLength: ids.count, config: config)
        guard count > 0 else { throw VerdictError.promptFillsContext(promptTokens: ids.count, maxSeqLen: config.maxSeqLen) }
        if count < requested {
            printError("mpt-verify: note: generating \(count) tokens, not \(requested): the prompt has \(ids.count) of max_seq_len \(config.maxSeqLen)")
        }
        return count
    }

    /// The first model as named in reports (with the merged adapter, if any).
    private var referenceLabel: String { mergeLora.map { "\(reference) + LoRA \($0)" } ?? reference }

    /// The tokenizer for rendering generated ids: the reference's tokenizer.json, else the
    /// candidate's (both share the vocabulary); `nil` when neither has one.
    private func tokenizer(_ referenceModel: MPTModel, _ candidateModel: MPTModel?) throws -> BPETokenizer? {
        guard let path = referenceModel.checkpoint.tokenizerPath ?? candidateModel?.checkpoint.tokenizerPath else { return nil }
        return try TokenizerLoading.tokenizer(at: path)
    }

    private var promptInput: PromptInput { PromptInput(tokens: tokens, text: prompt, file: promptFile) }

    private func present(
        _ report: ParityReport, verdict: VerifyVerdict, reference: String, candidate: String, tokens: [Int],
        generation: GenerationSummary? = nil
    ) -> Bool {
        let rendered = VerifyReport(reference: reference, candidate: candidate, tokens: tokens, precision: precision.rawValue,
                                    report: report, verdict: verdict, generation: generation)
        print(json ? rendered.json() : rendered.text(), terminator: "")
        return verdict.passed
    }
}

/// Problems specific to verification inputs.
enum VerifyFailure: Error, CustomStringConvertible {
    case shapeMismatch(found: [Int], expected: [Int])
    case vocabularyMismatch(candidate: Int, reference: Int)

    var description: String {
        switch self {
        case let .shapeMismatch(found, expected): return "stored logits have shape \(found), expected \(expected)"
        case let .vocabularyMismatch(candidate, reference):
            return "candidate vocabulary has \(candidate) tokens but the reference has \(reference); the models cannot be compared"
        }
    }
}

/// One model's forward pass over the tokens to its hidden states, with a progress line counting
/// its blocks (on a terminal, unless `quiet`); its logits are then made row block by row block
/// (`LogitHead`) for `forEachBlock`.
struct LogitRun {
    enum Head {
        case float(LogitHead<Float>)
        case double(LogitHead<Double>)
    }

    let head: Head
    /// The model's file, named by errors of the head.
    let path: String

    init(model: MPTModel, tokens: [Int], precision: Precision, threads: Int, label: String, quiet: Bool) throws {
        var forward = try MPTForward(config: model.config, weights: ModelWeightProvider(model: model), threads: threads)
        let progress = ProgressLine("mpt-verify: \(label) forward", total: model.config.nLayers, unit: .layers, quiet: quiet)
        forward.onBlockDone = { layer in progress.advance(by: 1, item: "block \(layer + 1) of \(model.config.nLayers), \(tokens.count) tokens") }
        defer { progress.finish() }
        path = model.checkpoint.path
        switch precision {
        case .f32: head = .float(LogitHead(forward, try attributing(to: path) { try forward.hiddenStates(tokens: tokens) }))
        case .f64: head = .double(LogitHead(forward, try attributing(to: path) { try forward.hiddenStates(tokens: tokens, as: Double.self) }))
        }
    }

    /// The row blocks the head is applied in.
    var blocks: [Range<Int>] {
        switch head {
        case let .float(head): return head.rowBlocks()
        case let .double(head): return head.rowBlocks()
        }
    }

    /// Lends `body` the logits of `rows`.
    func withLogits<R>(rows: Range<Int>, _ body: (LogitRows) throws -> R) throws -> R {
        try attributing(to: path) {
            switch head {
            case let .float(head): return try head.withLogits(rows: rows) { try body(.float($0)) }
            case let .double(head): return try head.withLogits(rows: rows) { try body(.double($0)) }
            }
        }
    }

    /// Streams the logits of `runs` (over the same tokens) together: `body` gets each block of
    /// rows and every run's logits of it, in the runs' order, block after block.
    static func forEachBlock(_ runs: [LogitRun], _ body: (Range<Int>, [LogitRows]) throws -> Void) throws {
        guard let first = runs.first else { return }
        for rows in first.blocks {
            try lend(runs[...], rows: rows, collected: []) { try body(rows, $0) }
        }
    }

    private static func lend(
        _ runs: ArraySlice<LogitRun>, rows: Range<Int>, collected: [LogitRows], _ body: ([LogitRows]) throws -> Void
    ) throws {
        guard let run = runs.first else { return try body(collected) }
        try run.withLogits(rows: rows) { try lend(runs.dropFirst(), rows: rows, collected: collected + [$0], body) }
    }
}

extension LogitRows {
    /// Appends these rows to a streamed `--dump-logits` file.
    func append(to writer: NpyStreamWriter) throws {
        try attributing(to: writer.path) {
            switch self {
            case let .float(values): try writer.append(values)
            case let .double(values): try writer.append(values)
            }
        }
    }
}
