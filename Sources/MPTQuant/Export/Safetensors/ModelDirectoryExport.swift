import Foundation
import MPTCore
import MPTFormats
import MPTGraph

/// The part every safetensors model directory output shares: a temporary directory next to the
/// destination, the weights (written by the exporter), a rebuilt HF-form `config.json`, the
/// tokenizer and generation files copied from the input, then one rename into place.
enum ModelDirectoryExport {
    /// Files copied unchanged from the checkpoint's directory when present.
    static let passthroughFiles = [
        "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.json", "merges.txt",
        "generation_config.json",
    ]

    /// Builds `output`: `writeWeights` fills the temporary directory and returns the weight files
    /// it wrote; `configExtra` is appended to config.json (e.g. `quantization_config`).
    /// - Returns: every file written.
    static func write(
        model: MPTModel, plan: OutputPlan, to output: String, configExtra: [(key: String, value: JSONValue)] = [],
        writeWeights: (_ temporaryDirectory: String) throws -> [String]
    ) throws -> [String] {
        let directory = try attributing(to: output) { try OutputDirectory(path: output, replaceExisting: plan.replaceExisting) }
        var written = try writeWeights(directory.temporaryPath)
        let config = model.config.huggingFaceJSON(torchDtype: plan.storageDType(for: model).torchName, extra: configExtra)
        try attributing(to: output) {
            let configFile = try AtomicOutputFile(path: directory.file("config.json"), durable: plan.isDurable)
            try configFile.write(JSONWriter.pretty(config))
            try configFile.commit()
        }
        written.append("config.json")
        written.append(contentsOf: try copyPassthroughFiles(from: model.checkpoint, into: directory))
        try attributing(to: output) { try directory.commit() }
        return written
    }

    /// Copies tokenizer and generation files that sit in the checkpoint's directory.
    static func copyPassthroughFiles(from checkpoint: Checkpoint, into directory: OutputDirectory) throws -> [String] {
        var copied: [String] = []
        for name in passthroughFiles where FileKind.of(checkpoint.file(name)) == .file {
            try attributing(to: checkpoint.file(name)) {
                try FileManager.default.copyItem(atPath: checkpoint.file(name), toPath: directory.file(name))
            }
            copied.append(name)
        }
        return copied
    }
}
