import Foundation
import MPTCore
import MPTFormats
import MPTGraph

/// Runs a whole conversion: read the graph, write the converted model into a temporary directory
/// next to the destination, rename it into place.
public enum Converter {
    /// Files copied unchanged from the input directory when present.
    public static let passthroughFiles = [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
        "generation_config.json",
    ]

    /// Refuses outputs that would overwrite or live inside the input.
    public static func checkPaths(input: String, output: String) throws {
        let inputURL = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath()
        let outputURL = URL(fileURLWithPath: output).standardizedFileURL.resolvingSymlinksInPath()
        let inputPath = inputURL.path
        let outputPath = outputURL.path
        if outputPath == inputPath {
            throw FileError(path: output, underlying: ConversionError.unsupported("output is the input; refusing to overwrite it"))
        }
        var inputDirectory = inputPath
        if FileKind.of(inputPath) == .file { inputDirectory = inputURL.deletingLastPathComponent().path }
        if outputPath == inputDirectory || outputPath.hasPrefix(inputDirectory + "/") {
            throw FileError(path: output, underlying: ConversionError.unsupported("output lies inside the input directory \(inputDirectory); choose another place"))
        }
    }

    /// Converts `model` (read from `input`) into the directory `output`.
    /// - Returns: the files written.
    @discardableResult
    public static func convertToSafetensors(
        model: MPTModel, output: String, options: ConversionOptions, force: Bool,
        quantizationConfig: JSONValue? = nil,
        quantizer: ((CanonicalTensor, TensorView) throws -> [OutputTensor])? = nil
    ) throws -> [String] {
        let directory = try attributing(to: output) { try OutputDirectory(path: output, replaceExisting: force) }
        let tensors = try attributing(to: model.checkpoint.path) {
            try ModelExport.safetensorsTensors(model: model, options: options, quantizer: quantizer)
        }
        var written = try SafetensorsWriter.writeModel(directory: directory.temporaryPath, tensors: tensors, shardSize: options.shardSize)
        var extra: [(key: String, value: JSONValue)] = []
        if let quantizationConfig { extra.append(("quantization_config", quantizationConfig)) }
        let config = model.config.huggingFaceJSON(torchDtype: options.dtype.torchName, extra: extra)
        let configFile = try AtomicOutputFile(path: directory.file("config.json"))
        try configFile.write(JSONWriter.pretty(config))
        try configFile.commit()
        written.append("config.json")
        let sourceDirectory = FileKind.of(model.checkpoint.path) == .directory
            ? model.checkpoint.path
            : URL(fileURLWithPath: model.checkpoint.path).deletingLastPathComponent().path
        for name in passthroughFiles where FileKind.of(sourceDirectory + "/" + name) == .file {
            try attributing(to: sourceDirectory + "/" + name) {
                try FileManager.default.copyItem(atPath: sourceDirectory + "/" + name, toPath: directory.file(name))
            }
            written.append(name)
        }
        try attributing(to: output) { try directory.commit() }
        return written
    }
}
