import ArgumentParser
import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

extension TargetDType: ExpressibleByArgument {}
extension QuantScheme: ExpressibleByArgument {}
extension OutputFormat: ExpressibleByArgument {}

/// `mpt-convert IN OUT`: dtype casts and quantization.
public struct ConvertCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mpt-convert",
        abstract: "Convert an MPT checkpoint: merge a LoRA adapter, cast dtypes, quantize (int8, NF4, or any llama-quantize file type), write safetensors or GGUF.")

    @Argument(help: "Input model directory or weights file.")
    var input: String

    @Argument(help: "Output directory (safetensors) or .gguf file.")
    var output: String

    @Option(help: ArgumentHelp("Weight quantization: none; int8, nf4 (safetensors); or a llama-quantize file type (GGUF, tensor types chosen as llama-quantize does): \(LlamaFileType.nameList).", valueName: "type"))
    var quant: QuantScheme = .none

    @Option(help: "Storage dtype of unquantized tensors: f32, f16, bf16 (default: the input's).")
    var dtype: TargetDType?

    @Option(help: "Output format: safetensors or gguf (default: gguf when OUT ends in .gguf).")
    var format: OutputFormat?

    @Option(help: "NF4 block size (64…4096, a power of two; default 64). Only with --quant nf4.")
    var blocksize: Int?

    @Flag(inversion: .prefixedNo, help: "NF4 double quantization of the block scales (QLoRA default: on). Only with --quant nf4.")
    var doubleQuant: Bool?

    @Option(help: "Largest shard in bytes; suffixes KB, MB, GB, KiB, MiB, GiB (default: one file). Safetensors: model-0000K-of-0000N.safetensors + index; GGUF: OUT-0000K-of-0000N.gguf as llama-gguf-split --split-max-size writes them (its 3M is 3MB).")
    var shardSize: String?

    @OptionGroup var threading: ThreadOptions

    @Option(help: ArgumentHelp("Merge a peft LoRA adapter directory into the weights (in float32, before any cast or quantization).", valueName: "adapter-dir"))
    var mergeLora: String?

    @Flag(help: "Keep NaN/Inf weights instead of failing.")
    var allowNonfinite = false

    @Flag(help: "GGUF output: re-quantize weights that are already block-quantized (refused otherwise, as llama-quantize does).")
    var allowRequantize = false

    @Option(help: ArgumentHelp("GGUF quantized output: an importance matrix (llama-imatrix's .gguf or legacy .dat) used as llama-quantize --imatrix uses it.", valueName: "file"))
    var imatrix: String?

    @Flag(help: "Replace an existing output.")
    var force = false

    @OptionGroup var sync: SyncOption

    @OptionGroup var quiet: QuietOption

    @OptionGroup var report: JSONOutputOption

    public init() {}

    public func validate() throws {
        _ = try outputPlan()
    }

    /// The output as the arguments decide it, checked before anything is read; every problem is a
    /// usage error worded in flags.
    func outputPlan() throws -> OutputPlan {
        if quant != .nf4, blocksize != nil || doubleQuant != nil {
            // They would be silently ignored: say so instead.
            throw ValidationError("--blocksize and --double-quant/--no-double-quant set NF4's layout: they need --quant nf4")
        }
        var shardBytes: Int?
        if let shardSize {
            guard let parsed = ByteSize.parse(shardSize) else { throw ValidationError("--shard-size: cannot read '\(shardSize)'") }
            shardBytes = parsed
        }
        do {
            return try OutputPlan(
                format: format ?? OutputPlan.impliedFormat(forOutput: output), dtype: dtype.map(DTypeChoice.fixed) ?? .inputs,
                quant: quant, nf4: NF4Settings(blocksize: blocksize ?? 64, doubleQuant: doubleQuant ?? true), shardSize: shardBytes,
                loraAdapter: mergeLora, durability: sync.durability, allowNonfinite: allowNonfinite,
                allowRequantize: allowRequantize, threads: threading.threads, replaceExisting: force, imatrix: imatrix)
        } catch let error as OutputPlanError {
            throw ValidationError(Self.usageMessage(error, formatGiven: format != nil))
        }
    }

    /// `error` in the words of this tool's flags.
    static func usageMessage(_ error: OutputPlanError, formatGiven: Bool) -> String {
        let chosen = formatGiven ? "--format" : "OUT's name"
        switch error {
        case let .quantization(quant, .safetensors):
            return "--quant \(quant.rawValue) is written as GGUF: use --format gguf (or an OUT ending in .gguf)"
        case let .quantization(quant, .gguf):
            return "--quant \(quant.rawValue) is a bitsandbytes safetensors layout, but \(chosen) asks for GGUF (which takes --quant none or one of \(LlamaFileType.nameList)): use --format safetensors"
        case .nf4Blocksize:
            return "--blocksize must be a power of two from \(NF4Settings.blocksizes.lowerBound) to \(NF4Settings.blocksizes.upperBound)"
        case .shardSize:
            return "--shard-size must be positive"
        case .threads:
            return "--threads must be \(ThreadOptions.range.lowerBound)…\(ThreadOptions.range.upperBound)"
        case let .imatrixRequired(quant):
            return "--quant \(quant.rawValue) needs --imatrix FILE (llama-quantize refuses it without an importance matrix)"
        case .imatrix:
            return "--imatrix applies to GGUF output with --quant one of \(LlamaFileType.nameList)"
        }
    }

    public func run() throws {
        TemporaryFileRegistry.installSignalCleanup()
        let plan = try outputPlan()
        try runReportingErrors(tool: "mpt-convert") {
            try OutputPaths.check(input: input, output: output)
            let started = Date()
            let model = try ModelLoading.model(at: input, mergingLoRA: plan.loraAdapter)
            let weights = ConvertProgress(model: model)
            let progress = ProgressLine("mpt-convert", total: weights.total, unit: .weights, quiet: quiet.quiet || report.json)
            let result = try ModelExport.convert(model: model, plan: plan, to: output) { name in
                progress.advance(by: weights.previous(startingNext: name), item: name)
            }
            progress.advance(by: weights.remaining)
            progress.finish()
            if report.json {
                print(try ConvertSummary(output: output, result: result, seconds: Date().timeIntervalSince(started)).json())
            } else {
                print("wrote \(output): \(result.summary)")
            }
        }
    }
}

/// Parses sizes like `500MB`, `2GB`, `4096`.
enum ByteSize {
    static func parse(_ text: String) -> Int? {
        let upper = text.uppercased()
        let units: [(String, Int)] = [("GIB", 1 << 30), ("MIB", 1 << 20), ("KIB", 1 << 10), ("GB", 1_000_000_000), ("MB", 1_000_000), ("KB", 1000), ("B", 1)]
        for (suffix, scale) in units where upper.hasSuffix(suffix) {
            guard let number = Int(upper.dropLast(suffix.count)), number > 0 else { return nil }
            let (value, overflow) = number.multipliedReportingOverflow(by: scale)
            return overflow ? nil : value
        }
        guard let number = Int(upper), number > 0 else { return nil }
        return number
    }
}
