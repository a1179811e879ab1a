import Foundation
import MPTCore
import MPTFormats
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `mpt-convert` never damages its input, never replaces an output without `--force`, and an
/// interrupted conversion leaves no partial output.
@Suite("Convert output safety")
struct ConvertOutputSafetyTests {
    static let model = TestPaths.model("mpt-4h-f32")

    /// A copy of `mpt-4h-f32` in a fresh temporary directory: `(root, root/model)`.
    func modelCopy() throws -> (root: String, model: String) {
        let root = try TestPaths.temporaryDirectory()
        let model = root + "/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: false)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: Self.model + "/" + name, toPath: model + "/" + name)
        }
        return (root, model)
    }

    func contents(_ directory: String) -> [String: Data] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var result: [String: Data] = [:]
        for name in names { result[name] = FileManager.default.contents(atPath: directory + "/" + name) }
        return result
    }

    @Test func outputEqualToInputIsRefused() throws {
        let (root, model) = try modelCopy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = contents(model)
        for (input, output) in [(model, model), (model, model + "/"), (model + "/model.safetensors", model + "/model.safetensors")] {
            let run = try ChildRun.tool("mpt-convert", [input, output, "--dtype", "f16"])
            #expect(run.exitStatus == 2, "\(input) -> \(output): \(run.standardError)")
            #expect(run.standardError.contains("input"), "\(run.standardError)")
        }
        #expect(contents(model) == before)
    }

    @Test func outputInsideInputIsRefused() throws {
        let (root, model) = try modelCopy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let before = contents(model)
        for output in [model + "/out", model + "/sub/out", root + "/model/../model/out"] {
            let run = try ChildRun.tool("mpt-convert", [model, output, "--dtype", "f16"])
            #expect(run.exitStatus == 2, "\(output): \(run.standardError)")
            #expect(run.standardError.contains("inside the input"), "\(run.standardError)")
        }
        // A symlink elsewhere that points into the input is inside it too.
        try FileManager.default.createSymbolicLink(atPath: root + "/alias", withDestinationPath: model)
        let viaLink = try ChildRun.tool("mpt-convert", [model, root + "/alias/out"])
        #expect(viaLink.exitStatus == 2, "\(viaLink.standardError)")
        #expect(contents(model) == before)
    }

    @Test func existingOutputNeedsForce() throws {
        let (root, model) = try modelCopy()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let output = root + "/out"
        try FileManager.default.createDirectory(atPath: output, withIntermediateDirectories: false)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: output + "/marker"))

        let refused = try ChildRun.tool("mpt-convert", [model, output, "--dtype", "f16"])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardError.contains(output) && refused.standardError.contains("--force"), "\(refused.standardError)")
        #expect(contents(output).keys.sorted() == ["marker"])

        let forced = try ChildRun.tool("mpt-convert", [model, output, "--dtype", "f16", "--force"])
        #expect(forced.exitStatus == 0, "\(forced.standardError)")
        #expect(contents(output).keys.sorted() == ["config.json", "model.safetensors"])
        let converted = try SafetensorsFile.read(path: output + "/model.safetensors")
        #expect(converted.names.count == 14)
        #expect(converted.names.allSatisfy { converted[$0]?.dtype == .f16 })
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")

        // An existing plain file in OUT's place is refused the same way.
        let fileOutput = root + "/file-out"
        try Data("x".utf8).write(to: URL(fileURLWithPath: fileOutput))
        let refusedFile = try ChildRun.tool("mpt-convert", [model, fileOutput])
        #expect(refusedFile.exitStatus == 2)
        #expect(FileManager.default.contents(atPath: fileOutput) == Data("x".utf8))
    }

    /// Writes an f32 MPT with d_model 512, 8 heads, 8 layers, vocab 32000 (about 166 MB).
    static func writeLargeModel(at directory: String) throws {
        let d = 512, layers = 8, vocab = 32000
        let pattern: [Float] = (0..<65536).map { Float(($0 * 7919) % 2001 - 1000) / 5000 }
        func tensor(_ name: String, _ dims: [Int]) throws -> OutputTensor {
            let shape = try Shape(checking: dims)
            let count = shape.elementCount
            return OutputTensor(name: name, dtype: .f32, shape: shape) { sink in
                var left = count
                while left > 0 {
                    let take = min(left, pattern.count)
                    if take == pattern.count { try sink.write(pattern) } else { try sink.write(Array(pattern[0..<take])) }
                    left -= take
                }
            }
        }
        var tensors = [try tensor("transformer.wte.weight", [vocab, d]), try tensor("transformer.norm_f.weight", [d])]
        for layer in 0..<layers {
            let prefix = "transformer.blocks.\(layer)."
            tensors += [
                try tensor(prefix + "norm_1.weight", [d]), try tensor(prefix + "attn.Wqkv.weight", [3 * d, d]),
                try tensor(prefix + "attn.out_proj.weight", [d, d]), try tensor(prefix + "norm_2.weight", [d]),
                try tensor(prefix + "ffn.up_proj.weight", [4 * d, d]), try tensor(prefix + "ffn.down_proj.weight", [d, 4 * d]),
            ]
        }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        try SafetensorsWriter.writeModel(directory: directory, tensors: tensors)
        let original = try Data(contentsOf: URL(fileURLWithPath: model + "/config.json"))
        var config = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        config["d_model"] = d
        config["n_heads"] = 8
        config["n_layers"] = layers
        config["vocab_size"] = vocab
        config["max_seq_len"] = 2048
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: directory + "/config.json"))
    }

    @Test func interruptedConvertLeavesNothing() throws {
        let root = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let model = root + "/large"
        try Self.writeLargeModel(at: model)
        let output = root + "/out"
        // Interrupt once the temporary output directory holds a file being written (so the
        // cleanup has something to remove; 20 s at the latest, for a loaded machine).
        let sawTemporary = TemporaryOutputProbe(root: root, output: "out")
        let run = try ChildRun.tool(
            "mpt-convert", [model, output, "--dtype", "f16"],
            interrupt: (after: 20, when: { sawTemporary.check() }))
        #expect(sawTemporary.seen, "the conversion never started writing")
        #expect(run.signal == 0, "killed by signal \(run.signal)")
        #expect(run.exitStatus == 130, "exit \(run.exitStatus): \(run.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output))
        let left = try FileManager.default.contentsOfDirectory(atPath: root).filter { $0 != "large" }
        #expect(left.isEmpty, "left behind: \(left)")
        #expect(run.peakMemory > 1 << 20, "peak RSS not measured")
        #expect(run.peakMemory <= HostileCorpusTests.memoryLimit, "peak RSS \(run.peakMemory >> 20) MiB")
    }
}

/// Watches for `.OUT.tmp-*` with a non-empty file inside.
final class TemporaryOutputProbe: @unchecked Sendable {
    let root: String
    let output: String

    init(root: String, output: String) {
        self.root = root
        self.output = output
    }

    private(set) var seen = false

    func check() -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        for name in names where name.hasPrefix("." + output + ".tmp-") {
            let inner = (try? FileManager.default.contentsOfDirectory(atPath: root + "/" + name)) ?? []
            for file in inner {
                let size = (try? FileManager.default.attributesOfItem(atPath: root + "/" + name + "/" + file)[.size] as? Int) ?? 0
                if size > 0 {
                    seen = true
                    return true
                }
            }
        }
        return false
    }
}
