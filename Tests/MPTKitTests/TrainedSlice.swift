import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats

/// The slice of Fixtures/models/mpt-trained-d256 that Fixtures/scripts/gguf_file_goldens.py
/// quantizes for `mpt-trained-d256-slice.json`: block 0 only, wte's first 512 rows, ffn.up_proj's
/// first 256 rows and ffn.down_proj's first 256 columns, as F32 safetensors (n_layers 1,
/// vocab_size 512, expansion_ratio 1; no tokenizer). Trained values at 1/7 of the weights, so
/// debug builds can write all 16 file types.
enum TrainedSlice {
    static let name = "mpt-trained-d256-slice"

    /// Writes the slice into `directory/<name>` and returns that path.
    static func write(in directory: String) throws -> String {
        let source = TestPaths.model("mpt-trained-d256")
        let weights = try SafetensorsFile.read(path: source + "/model.safetensors")
        func floats(_ name: String) throws -> [Float] { try #require(weights[name], "\(name)").floats() }
        func tensor(_ name: String, _ dims: [Int], _ values: [Float]) throws -> OutputTensor {
            OutputTensor(name: name, dtype: .f32, shape: try Shape(checking: dims)) { sink in try sink.write(values) }
        }
        let block = "transformer.blocks.0."
        var tensors = [
            try tensor("transformer.wte.weight", [512, 256], Array(try floats("transformer.wte.weight").prefix(512 * 256))),
            try tensor("transformer.norm_f.weight", [256], try floats("transformer.norm_f.weight")),
        ]
        for (name, dims) in [("norm_1.weight", [256]), ("attn.Wqkv.weight", [768, 256]), ("attn.out_proj.weight", [256, 256]),
                             ("norm_2.weight", [256])] {
            tensors.append(try tensor(block + name, dims, try floats(block + name)))
        }
        tensors.append(try tensor(block + "ffn.up_proj.weight", [256, 256], Array(try floats(block + "ffn.up_proj.weight").prefix(256 * 256))))
        let down = try floats(block + "ffn.down_proj.weight")  // [256, 1024]
        tensors.append(try tensor(block + "ffn.down_proj.weight", [256, 256], (0..<256).flatMap { row in down[(row * 1024)..<(row * 1024 + 256)] }))

        let target = directory + "/" + name
        try FileManager.default.createDirectory(atPath: target, withIntermediateDirectories: true)
        try SafetensorsWriter.writeModel(directory: target, tensors: tensors)
        let config = try #require(try CheckpointLoader.readConfig(source + "/config.json", required: true))
        let changed: [String: JSONValue] = ["n_layers": .int(1), "vocab_size": .int(512), "expansion_ratio": .int(1)]
        let members = try #require(config.objectMembers).map { (key: $0.key, value: changed[$0.key] ?? $0.value) }
        try JSONWriter.pretty(.object(members)).write(toFile: target + "/config.json", atomically: true, encoding: .utf8)
        return target
    }
}
