import ArgumentParser
import MPTCore
import MPTFormats
import MPTGraph
import MPTReference

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

    @Option(help: "Worker threads.")
    var threads: Int = 2

    @Flag(help: "Print the report as JSON.")
    var json = false

    public init() {}

    public func validate() throws {
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1…256") }
        if candidate != nil && referenceLogits != nil {
            throw ValidationError("give either a CANDIDATE model or --reference-logits, not both")
        }
        if [tokens != nil, prompt != nil, promptFile != nil].filter({ $0 }).count > 1 {
            throw ValidationError("give only one of --tokens, --prompt and --prompt-file")
        }
        if let maxRelL2, !(maxRelL2 >= 0) { throw ValidationError("--max-rel-l2 must be a non-negative number") }
    }

    public func run() throws {
        var passed = true
        try runReportingErrors(tool: "mpt-verify") {
            passed = try verify()
        }
        if !passed { throw ExitCode(ToolExit.checkFailed) }
    }

    private func verify() throws -> Bool {
        let referenceModel = try ModelLoading.model(at: reference, mergingLoRA: mergeLora)
        let candidateModel = try candidate.map { try ModelLoading.model(at: $0) }
        let config = referenceModel.config
        if let candidateModel, candidateModel.config.vocabSize != config.vocabSize {
            throw FileError(path: candidate ?? "", underlying: TokenSequence.Failure.outOfRange(id: candidateModel.config.vocabSize, vocab: config.vocabSize))
        }
        let ids = try promptTokens(of: referenceModel) ?? tokens.map(TokenSequence.parse)
            ?? TokenSequence.defaultTokens(vocab: config.vocabSize, maxLength: config.maxSeqLen)
        try TokenSequence.validate(ids, vocab: config.vocabSize, maxLength: config.maxSeqLen)

        let referenceRun = try LogitRun(model: referenceModel, tokens: ids, precision: precision, threads: threads)
        var comparison: (label: String, logits: [Double], kind: CandidateKind)?
        if let candidateModel {
            let run = try LogitRun(model: candidateModel, tokens: ids, precision: precision, threads: threads)
            comparison = (candidate ?? "", run.logits, CandidateKind.classify(candidate: candidateModel, reference: referenceModel))
            try dump(run.logits, vocab: config.vocabSize)
        } else {
            try dump(referenceRun.logits, vocab: config.vocabSize)
        }
        if let referenceLogits {
            let stored = try attributing(to: referenceLogits) { try NpyArray(contentsOf: referenceLogits) }
            guard stored.shape == [ids.count, config.vocabSize] else {
                throw FileError(path: referenceLogits, underlying: VerifyFailure.shapeMismatch(found: stored.shape, expected: [ids.count, config.vocabSize]))
            }
            // The stored logits are the reference; the model is the candidate.
            let kind = CandidateKind.classify(candidate: referenceModel, reference: nil)
            let report = try ParityMetrics.compare(reference: stored.values, candidate: referenceRun.logits, vocab: config.vocabSize, tokens: ids)
            return present(report, reference: referenceLogits, candidate: referenceLabel, kind: kind, tokens: ids)
        }
        guard let comparison else {
            if !json {
                print("ran \(referenceLabel): \(ids.count) tokens × \(config.vocabSize) logits (\(precision.rawValue))")
                if let dumpLogits { print("wrote \(dumpLogits)") }
            }
            return true
        }
        let report = try ParityMetrics.compare(reference: referenceRun.logits, candidate: comparison.logits, vocab: config.vocabSize, tokens: ids)
        return present(report, reference: referenceLabel, candidate: comparison.label, kind: comparison.kind, tokens: ids)
    }

    /// The ids of `--prompt`/`--prompt-file` with the reference model's tokenizer, truncated to
    /// `max_seq_len` (with a note); `nil` without a prompt.
    private func promptTokens(of model: MPTModel) throws -> [Int]? {
        guard let text = try prompt ?? promptFile.map(TokenizerLoading.text(ofFile:)) else { return nil }
        guard let path = model.checkpoint.tokenizerPath else { throw TokenizerLoading.Failure.noTokenizer(model: reference) }
        let ids = try TokenizerLoading.tokenizer(at: path).encode(text).map(Int.init)
        let limit = model.config.maxSeqLen
        guard ids.count > limit else { return ids }
        printError("mpt-verify: note: the prompt is \(ids.count) tokens; using the first \(limit) (max_seq_len)")
        return Array(ids.prefix(limit))
    }

    /// The first model as named in reports (with the merged adapter, if any).
    private var referenceLabel: String { mergeLora.map { "\(reference) + LoRA \($0)" } ?? reference }

    private func dump(_ logits: [Double], vocab: Int) throws {
        guard let dumpLogits else { return }
        let array = NpyArray(shape: [logits.count / max(vocab, 1), vocab], values: logits, elementType: .float32)
        try attributing(to: dumpLogits) { try array.write(to: dumpLogits) }
    }

    private func present(_ report: ParityReport, reference: String, candidate: String, kind: CandidateKind, tokens: [Int]) -> Bool {
        let limit = maxRelL2 ?? kind.defaultMaxRelativeL2
        let passed = report.relativeL2 <= limit && report.relativeL2.isFinite
        let rendered = VerifyReport(reference: reference, candidate: candidate, kind: kind, limit: limit, tokens: tokens,
                                    precision: precision.rawValue, report: report, passed: passed)
        print(json ? rendered.json() : rendered.text(), terminator: "")
        return passed
    }
}

/// Problems specific to verification inputs.
enum VerifyFailure: Error, CustomStringConvertible {
    case shapeMismatch(found: [Int], expected: [Int])

    var description: String {
        switch self {
        case let .shapeMismatch(found, expected): return "stored logits have shape \(found), expected \(expected)"
        }
    }
}

/// One model's forward pass over the tokens, as `Double` logits.
struct LogitRun {
    let logits: [Double]

    init(model: MPTModel, tokens: [Int], precision: Precision, threads: Int) throws {
        let forward = try MPTForward(config: model.config, weights: ModelWeightProvider(model: model), threads: threads)
        let path = model.checkpoint.path
        switch precision {
        case .f32: logits = try attributing(to: path) { try forward.logits(tokens: tokens).map(Double.init) }
        case .f64: logits = try attributing(to: path) { try forward.logitsDouble(tokens: tokens) }
        }
    }
}
