import Foundation
import MPTCore
import MPTFormats
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Every tool must turn hostile input into exit status 2 with one stderr line naming the file:
/// no signal, no hang, bounded memory, and nothing left behind.
@Suite("Hostile corpus")
struct HostileCorpusTests {
    static let timeLimit = 5.0
    static let memoryLimit = 512 << 20

    /// Every file under `Fixtures/hostile/**` except the `valid.*` controls.
    static let hostileFiles: [String] = {
        let root = TestPaths.fixture("hostile")
        let names = (FileManager.default.enumerator(atPath: root)?.allObjects as? [String]) ?? []
        return names.sorted().filter { name in
            let file = (name as NSString).lastPathComponent
            return (file.hasSuffix(".bin") || file.hasSuffix(".pt") || file.hasSuffix(".safetensors")) && !file.hasPrefix("valid.")
        }.map { root + "/" + $0 }
    }()

    @Test func corpusIsPresent() {
        #expect(Self.hostileFiles.count >= 30)
    }

    @Test(arguments: hostileFiles)
    func everyToolRejectsHostileFile(_ path: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (tool, arguments) in Self.readers(of: path) {
            expectCleanRejection(try ChildRun.tool(tool, arguments), naming: path)
        }
        let output = directory + "/out"
        expectCleanRejection(try ChildRun.tool("mpt-convert", [path, output]), naming: path)
        expectNothingLeft(in: directory, output: "out")
    }

    /// Every tool that reads a model or tokenizer file, with arguments that make it read `path`
    /// (mpt-convert, which also writes, is run separately).
    static func readers(of path: String) -> [(String, [String])] {
        [
            ("mpt-inspect", [path]),
            ("mpt-verify", [path]),
            ("mpt-generate", [path, "--tokens", "1,2", "--max-tokens", "1"]),
            ("mpt-tokenize", [path, "--text", "hi"]),
        ]
    }

    /// The two hostile controls are accepted (so the rejections above are about the files).
    @Test func validControlsAreAccepted() throws {
        for path in [TestPaths.fixture("hostile/safetensors/valid.safetensors"), TestPaths.fixture("hostile/pickle/valid.bin")] {
            let run = try ChildRun.tool("mpt-inspect", [path])
            #expect(run.exitStatus == 0, "\(path): \(run.standardError)")
        }
    }

    // MARK: truncations

    static let truncatedSources = [
        ("models/mpt-4h-f32/model.safetensors", "model.safetensors"),
        ("models/mpt-4h-f32-bin/pytorch_model.bin", "pytorch_model.bin"),
        ("models/mpt-4h-f32-bin-deflated/pytorch_model.bin", "pytorch_model.bin"),
    ]

    /// 40 cut points: 20 spread over the first 2 KiB (headers, zip local headers, pickle) and
    /// 20 over the whole file, ending one byte short.
    static func truncationOffsets(size: Int) -> [Int] {
        let head = (0..<20).map { $0 * min(size, 2048) / 20 }
        let whole = (1...20).map { $0 * (size - 1) / 20 }
        return Array(Set(head + whole)).sorted()
    }

    @Test(arguments: truncatedSources)
    func truncatedWeightsAreRejected(_ source: String, _ name: String) throws {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture(source))))
        let offsets = Self.truncationOffsets(size: bytes.count)
        #expect(offsets.count >= 38)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/in", withIntermediateDirectories: false)
        let path = directory + "/in/" + name
        for (index, offset) in offsets.enumerated() {
            try Data(bytes[0..<offset]).write(to: URL(fileURLWithPath: path))
            expectCleanRejection(try ChildRun.tool("mpt-inspect", [path]), naming: path, note: "cut at \(offset)")
            if index % 4 == 1 {
                for (tool, arguments) in Self.readers(of: path).dropFirst() where tool != "mpt-tokenize" {
                    expectCleanRejection(try ChildRun.tool(tool, arguments), naming: path, note: "cut at \(offset)")
                }
            }
            if index % 4 == 0 {
                expectCleanRejection(try ChildRun.tool("mpt-convert", [path, directory + "/out"]), naming: path, note: "cut at \(offset)")
                expectNothingLeft(in: directory, output: "out", keeping: ["in"])
            }
        }
    }

    /// Header lengths around 2^63 and 2^64 written in place of a valid file's.
    @Test(arguments: [UInt64(1) << 63, (UInt64(1) << 63) - 1, (UInt64(1) << 63) + 8, UInt64.max - 7, UInt64(Int.max) - 8])
    func hugeHeaderLengthsAreRejected(_ length: UInt64) throws {
        var bytes = try Array(Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("hostile/safetensors/valid.safetensors"))))
        for index in 0..<8 { bytes[index] = UInt8(truncatingIfNeeded: length >> (8 * UInt64(index))) }
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/model.safetensors"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        expectCleanRejection(try ChildRun.tool("mpt-inspect", [path]), naming: path)
    }

    // MARK: configs

    /// Config mutations of `mpt-4h-f32` that no model can satisfy.
    static let badConfigs: [(String, @Sendable (inout [String: Any]) -> Void)] = [
        ("missing d_model", { $0["d_model"] = nil }),
        ("missing n_layers", { $0["n_layers"] = nil }),
        ("missing vocab_size", { $0["vocab_size"] = nil }),
        ("n_heads is a string", { $0["n_heads"] = "four" }),
        ("d_model is fractional", { $0["d_model"] = 64.5 }),
        ("attn_config is a list", { $0["attn_config"] = [1, 2] }),
        ("alibi is a number", { $0["attn_config"] = ["alibi": 3] }),
        ("heads do not divide d_model", { $0["n_heads"] = 5 }),
        ("zero heads", { $0["n_heads"] = 0 }),
        ("negative layers", { $0["n_layers"] = -2 }),
        ("more layers than weights", { $0["n_layers"] = 3 }),
        ("fewer layers than weights", { $0["n_layers"] = 1 }),
        ("vocab larger than the embedding", { $0["vocab_size"] = 321 }),
        ("d_model huge", { $0["d_model"] = Int64.max }),
        ("d_model past Int64", { $0["d_model"] = Double(1e30) }),
        ("model_type not mpt", { $0["model_type"] = "llama" }),
        ("expansion_ratio zero", { $0["expansion_ratio"] = 0 }),
    ]

    @Test(arguments: 0..<badConfigs.count)
    func badConfigIsRejected(_ index: Int) throws {
        let (label, mutate) = Self.badConfigs[index]
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = directory + "/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(
            atPath: model + "/model.safetensors", withDestinationPath: TestPaths.model("mpt-4h-f32") + "/model.safetensors")
        let original = try Data(contentsOf: URL(fileURLWithPath: TestPaths.model("mpt-4h-f32") + "/config.json"))
        var config = try #require(try JSONSerialization.jsonObject(with: original) as? [String: Any])
        mutate(&config)
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: model + "/config.json"))
        expectCleanRejection(try ChildRun.tool("mpt-inspect", [model]), naming: model, note: label)
        expectCleanRejection(try ChildRun.tool("mpt-convert", [model, directory + "/out"]), naming: model, note: label)
        expectNothingLeft(in: directory, output: "out", keeping: ["model"])
    }

    @Test(arguments: ["", "{", "[1,2]", "{\"d_model\": 64,}", "\u{FF}\u{FE}", String(repeating: "[", count: 100_000)])
    func unparsableConfigIsRejected(_ text: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createSymbolicLink(
            atPath: directory + "/model.safetensors", withDestinationPath: TestPaths.model("mpt-4h-f32") + "/model.safetensors")
        try Data(text.utf8).write(to: URL(fileURLWithPath: directory + "/config.json"))
        expectCleanRejection(try ChildRun.tool("mpt-inspect", [directory]), naming: directory)
    }

    // MARK: non-finite weights

    @Test func convertRefusesNaNWeightAndLeavesNothing() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = directory + "/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: false)
        let source = try SafetensorsFile.read(path: TestPaths.model("mpt-4h-f32") + "/model.safetensors")
        let poisoned = "transformer.blocks.1.ffn.up_proj.weight"
        let tensors = try source.names.map { name -> OutputTensor in
            let view = try #require(source[name])
            guard name == poisoned else { return OutputTensor.copying(view, as: name) }
            var values = try view.floats()
            values[values.count / 2] = .nan
            let finalValues = values
            return OutputTensor(name: name, dtype: .f32, shape: view.shape) { try $0.write(finalValues) }
        }
        try SafetensorsWriter.writeModel(directory: model, tensors: tensors)
        try FileManager.default.copyItem(atPath: TestPaths.model("mpt-4h-f32") + "/config.json", toPath: model + "/config.json")
        for dtype in ["f16", "bf16", "f32"] {
            let run = try ChildRun.tool("mpt-convert", [model, directory + "/out", "--dtype", dtype])
            expectCleanRejection(run, naming: model, note: dtype)
            #expect(run.standardError.contains(poisoned), "\(run.standardError)")
            expectNothingLeft(in: directory, output: "out", keeping: ["model"])
        }
    }
}
