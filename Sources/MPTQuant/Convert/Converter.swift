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

    /// Refuses outputs that would overwrite or live inside the input. A model directory input
    /// keeps everything below it off limits; a single weights file (`model.gguf`) may get a
    /// sibling output, but never one that replaces the file, its directory, or a file the
    /// checkpoint reads next to it (config, tokenizer, other weights).
    public static func checkPaths(input: String, output: String) throws {
        let inputURL = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath()
        let outputURL = resolvingSymlinksInExistingPrefix(output)
        let inputPath = inputURL.path
        let outputPath = outputURL.path
        if outputPath == inputPath {
            throw FileError(path: output, underlying: ConversionError.unsupported("output is the input; refusing to overwrite it"))
        }
        if inputPath.hasPrefix(outputPath + "/") {
            throw FileError(path: output, underlying: ConversionError.unsupported("output contains the input \(inputPath); refusing to replace it"))
        }
        guard FileKind.of(inputPath) == .file else {
            if outputPath.hasPrefix(inputPath + "/") {
                throw FileError(path: output, underlying: ConversionError.unsupported("output lies inside the input directory \(inputPath); choose another place"))
            }
            return
        }
        let inputDirectory = inputURL.deletingLastPathComponent().path
        let name = outputURL.lastPathComponent
        let readsNextToWeights = name == "config.json" || name.hasPrefix("tokenizer") || name.hasSuffix(".safetensors")
            || name.hasSuffix(".bin") || name.hasSuffix(".index.json")
        if outputPath == inputDirectory
            || (outputURL.deletingLastPathComponent().path == inputDirectory && readsNextToWeights) {
            throw FileError(path: output, underlying: ConversionError.unsupported("output would replace part of the input in \(inputDirectory); choose another place"))
        }
    }

    /// `path` made absolute, with symlinks resolved in its longest existing prefix: an output that
    /// does not exist yet is still placed where it will really be written (a symlinked parent
    /// pointing into the input counts as inside the input).
    static func resolvingSymlinksInExistingPrefix(_ path: String) -> URL {
        var existing = URL(fileURLWithPath: path).standardizedFileURL
        var missing: [String] = []
        while FileKind.of(existing.path) == .missing, existing.path != "/" {
            missing.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var resolved = existing.resolvingSymlinksInPath()
        for component in missing { resolved.appendPathComponent(component) }
        return resolved
    }

    /// Converts `model` into the safetensors model directory `output`: dtype casts when
    /// `options.quant` is `.none`, bitsandbytes NF4/int8 layouts for `.nf4`/`.int8`.
    /// - Returns: the files written.
    @discardableResult
    public static func convertToSafetensors(
        model: MPTModel, output: String, options: ConversionOptions, force: Bool, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> [String] {
        let directory = try attributing(to: output) { try OutputDirectory(path: output, replaceExisting: force) }
        var written: [String]
        var extra: [(key: String, value: JSONValue)] = []
        switch options.quant {
        case .none:
            let tensors = try attributing(to: model.checkpoint.path) { try ModelExport.safetensorsTensors(model: model, options: options) }
            let reporting = tensors.map { tensor in
                OutputTensor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape) { sink in
                    progress(tensor.name)
                    try tensor.produce(sink)
                }
            }
            written = try attributing(to: model.checkpoint.path) {
                try SafetensorsWriter.writeModel(directory: directory.temporaryPath, tensors: reporting, shardSize: options.shardSize,
                                                 durable: options.durable)
            }
        case .nf4, .int8:
            let writer = DeferredSafetensorsWriter(
                directory: directory.temporaryPath, shardSize: options.shardSize,
                headerReserve: DeferredSafetensorsWriter.reserve(forNames: BitsAndBytesExport.outputNames(model: model, options: options)),
                durable: options.durable)
            try attributing(to: model.checkpoint.path) {
                try BitsAndBytesExport.write(model: model, options: options, into: writer, progress: progress)
            }
            written = try attributing(to: output) { try writer.finish() }
            extra.append(("quantization_config", BitsAndBytesExport.quantizationConfig(options)))
        case .q8_0, .q4_0:
            throw ConversionError.unsupported("--quant \(options.quant.rawValue) is written as GGUF: use --format gguf (or an OUT ending in .gguf)")
        }
        let config = model.config.huggingFaceJSON(torchDtype: options.dtype.torchName, extra: extra)
        try attributing(to: output) {
            let configFile = try AtomicOutputFile(path: directory.file("config.json"), durable: options.durable)
            try configFile.write(JSONWriter.pretty(config))
            try configFile.commit()
        }
        written.append("config.json")
        written.append(contentsOf: try copyPassthroughFiles(from: model.checkpoint.path, into: directory))
        try attributing(to: output) { try directory.commit() }
        return written
    }

    /// Copies tokenizer and generation files that sit next to the input weights.
    static func copyPassthroughFiles(from input: String, into directory: OutputDirectory) throws -> [String] {
        let sourceDirectory = FileKind.of(input) == .directory ? input : URL(fileURLWithPath: input).deletingLastPathComponent().path
        var copied: [String] = []
        for name in passthroughFiles where FileKind.of(sourceDirectory + "/" + name) == .file {
            try attributing(to: sourceDirectory + "/" + name) {
                try FileManager.default.copyItem(atPath: sourceDirectory + "/" + name, toPath: directory.file(name))
            }
            copied.append(name)
        }
        return copied
    }
}
