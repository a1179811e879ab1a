import ArgumentParser
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

extension TargetDType: ExpressibleByArgument {}
extension QuantScheme: ExpressibleByArgument {}

/// Output container formats.
public enum OutputFormat: String, ExpressibleByArgument, Sendable {
    case safetensors, gguf
}

/// `mpt-convert IN OUT`: dtype casts and quantization.
public struct ConvertCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mpt-convert",
        abstract: "Convert an MPT checkpoint: merge a LoRA adapter, cast dtypes, quantize (int8, NF4, Q8_0, Q4_0), write safetensors or GGUF.")

    @Argument(help: "Input model directory or weights file.")
    var input: String

    @Argument(help: "Output directory (safetensors) or .gguf file.")
    var output: String

    @Option(help: "Weight quantization: none, int8, nf4, q8_0, q4_0.")
    var quant: QuantScheme = .none

    @Option(help: "Storage dtype of unquantized tensors: f32, f16, bf16 (default: the input's).")
    var dtype: TargetDType?

    @Option(help: "Output format: safetensors or gguf (default: gguf when OUT ends in .gguf).")
    var format: OutputFormat?

    @Option(help: "NF4 block size (64…4096, a power of two).")
    var blocksize: Int = 64

    @Flag(inversion: .prefixedNo, help: "NF4 double quantization of the block scales (QLoRA default).")
    var doubleQuant = true

    @Option(help: "Largest shard in bytes; suffixes KB, MB, GB (default: one file).")
    var shardSize: String?

    @Option(help: "Worker threads.")
    var threads: Int = 2

    @Option(help: ArgumentHelp("Merge a peft LoRA adapter directory into the weights (in float32, before any cast or quantization).", valueName: "adapter-dir"))
    var mergeLora: String?

    @Flag(help: "Keep NaN/Inf weights instead of failing.")
    var allowNonfinite = false

    @Flag(help: "Replace an existing output.")
    var force = false

    @Flag(help: "Skip the fsync before each output file is renamed into place (faster; a crash right after may lose the output).")
    var noSync = false

    public init() {}

    public func validate() throws {
        guard (64...4096).contains(blocksize), blocksize & (blocksize - 1) == 0 else {
            throw ValidationError("--blocksize must be a power of two from 64 to 4096")
        }
        guard (1...256).contains(threads) else { throw ValidationError("--threads must be 1…256") }
        if let shardSize, ByteSize.parse(shardSize) == nil { throw ValidationError("--shard-size: cannot read '\(shardSize)'") }
    }

    public func run() throws {
        TemporaryFileRegistry.installSignalCleanup()
        try runReportingErrors(tool: "mpt-convert") {
            try Converter.checkPaths(input: input, output: output)
            let model = try ModelLoading.model(at: input, mergingLoRA: mergeLora)
            let targetFormat = format ?? (output.hasSuffix(".gguf") ? .gguf : .safetensors)
            let options = ConversionOptions(
                dtype: dtype ?? defaultDType(model), quant: quant, blocksize: blocksize, doubleQuant: doubleQuant,
                allowNonfinite: allowNonfinite, threads: threads, shardSize: shardSize.flatMap(ByteSize.parse),
                durable: !noSync)
            let progress = ProgressLine(total: model.orderedTensors.count)
            switch targetFormat {
            case .safetensors:
                let files = try Converter.convertToSafetensors(model: model, output: output, options: options, force: force, progress: progress.step)
                progress.finish()
                print("wrote \(output): \(files.joined(separator: ", "))")
            case .gguf:
                let tensors = try attributing(to: output) { try GGUFExport.write(model: model, to: output, options: options, overwrite: force) }
                let types = Dictionary(grouping: tensors, by: { $0.type.description }).map { "\($0.value.count) \($0.key)" }.sorted()
                print("wrote \(output): \(tensors.count) tensors (\(types.joined(separator: ", ")))")
            }
        }
    }

    private func defaultDType(_ model: MPTModel) -> TargetDType {
        guard case let .dense(view)? = model.tensors[.tokenEmbedding] else { return .f32 }
        switch view.dtype {
        case .f16: return .f16
        case .bf16: return .bf16
        default: return .f32
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
