import ArgumentParser
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// `mpt-inspect MODEL`: config, naming scheme, tensor table and totals.
public struct InspectCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mpt-inspect",
        abstract: "Show an MPT checkpoint's config, tensors, dtypes and sizes.")

    @Argument(help: "A model directory (config.json + weights), or a .safetensors / .bin / .gguf file.")
    var model: String

    @OptionGroup var output: JSONOutputOption

    public init() {}

    public func run() throws {
        try runReportingErrors(tool: "mpt-inspect") {
            let checkpoint = try CheckpointLoader.open(model)
            let graph: MPTModel? = checkpoint.config == nil && checkpoint.gguf == nil ? nil : try MPTModel(checkpoint: checkpoint, recognizer: BitsAndBytesRecognizer())
            let report = InspectReport(checkpoint: checkpoint, model: graph)
            print(output.json ? report.json() : report.text(), terminator: "")
        }
    }
}
