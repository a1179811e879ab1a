import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph
@testable import MPTReference

/// Every fixture, in every container and naming scheme, against HF transformers' float64 logits.
@Suite struct FixtureParityTests {
    static let fixtures = [
        "mpt-4h-f32", "mpt-6h-clip-bf16", "mpt-4h-f16-sharded", "mpt-4h-f32-bin", "mpt-6h-clip-bf16-bin-sharded",
        "mpt-4h-f16-bin", "mpt-4h-f32-bin-deflated", "mpt-4h-f32-mosaicgpt", "mpt-4h-f32-composer", "mpt-4h-bias-qkln-f32",
    ]

    @Test(arguments: fixtures)
    func float32LogitsMatchHFFloat64(name: String) throws {
        let directory = TestPaths.model(name)
        let model = try MPTModel(checkpoint: try CheckpointLoader.open(directory))
        let tokens = try #require(try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/reference/tokens.json"))))
            .arrayValue?.compactMap(\.intValue))
        let reference = try NpyArray(contentsOf: directory + "/reference/logits_f64.npy")
        let logits = try MPTForward(config: model.config, weights: ModelWeightProvider(model: model)).logits(tokens: tokens)
        let report = try ParityMetrics.compare(reference: reference.values, candidate: logits.map(Double.init),
                                               vocab: model.config.vocabSize, tokens: tokens)
        // Float32 storage and accumulation against a float64 peer: 1e-5 is the bar.
        #expect(report.relativeL2 <= 1e-5, "\(name): rel-L2 \(report.relativeL2)")
        #expect(report.top1Agreement == 1)
    }
}

@Suite struct VerifyToolTests {
    private func tokensArgument(_ name: String) throws -> String {
        let text = try String(contentsOfFile: TestPaths.model(name) + "/reference/tokens.json", encoding: .utf8)
        return text.filter { "0123456789,".contains($0) }
    }

    @Test func fixtureAgainstItselfPasses() throws {
        let run = try runTool("mpt-verify", [TestPaths.model("mpt-4h-f32"), TestPaths.model("mpt-4h-f32-bin")])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("relative L2:    0 "))
        #expect(run.standardOutput.hasSuffix("PASS\n"))
    }

    @Test func storedLogitsComparisonPassesAndDumpRoundTrips() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = TestPaths.model("mpt-6h-clip-bf16")
        let tokens = try tokensArgument("mpt-6h-clip-bf16")
        let run = try runTool("mpt-verify", [model, "--tokens", tokens, "--reference-logits", model + "/reference/logits_f64.npy",
                                             "--dump-logits", directory + "/out.npy", "--json"])
        #expect(run.status == 0, "\(run.standardError)")
        let json = try JSONParser.parse(run.standardOutput)
        #expect(try #require(json["relative_l2"]?.doubleValue) < 1e-5)
        let dumped = try NpyArray(contentsOf: directory + "/out.npy")
        #expect(dumped.shape == [16, 320])
        #expect(dumped.elementType == .float32)
        // The streamed dump holds exactly the forward pass's logits.
        let loaded = try MPTModel(checkpoint: try CheckpointLoader.open(model))
        let ids = tokens.split(separator: ",").compactMap { Int($0) }
        let logits = try MPTForward(config: loaded.config, weights: ModelWeightProvider(model: loaded)).logits(tokens: ids)
        #expect(dumped.values == logits.map(Double.init))
    }

    /// One weight nudged by 0.5 in one element makes the comparison fail with status 1.
    @Test func perturbedWeightFails() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = TestPaths.model("mpt-4h-f32")
        let collection = try SafetensorsFile.read(path: source + "/model.safetensors")
        let target = "transformer.blocks.1.attn.out_proj.weight"
        let tensors = try collection.names.map { name -> OutputTensor in
            let view = try #require(collection[name])
            guard name == target else { return OutputTensor.copying(view, as: name) }
            var values = try view.floats()
            values[7] += 0.5
            let perturbed = values
            return OutputTensor(name: name, dtype: .f32, shape: view.shape) { try $0.write(perturbed) }
        }
        try SafetensorsWriter.writeFile(path: directory + "/model.safetensors", tensors: tensors)
        try FileManager.default.copyItem(atPath: source + "/config.json", toPath: directory + "/config.json")
        let run = try runTool("mpt-verify", [source, directory])
        #expect(run.status == 1, "\(run.standardOutput)\(run.standardError)")
        #expect(run.standardOutput.hasSuffix("FAIL\n"))
    }

    @Test func badInputExitsTwo() throws {
        let run = try runTool("mpt-verify", [TestPaths.model("mpt-4h-f32"), "--tokens", "1,2,999"])
        #expect(run.status == 2)
        #expect(run.standardError.contains("token 999 is outside the vocabulary (0..<320)"))
        let missing = try runTool("mpt-verify", ["/nonexistent/model"])
        #expect(missing.status == 2)
        #expect(missing.standardError.split(separator: "\n").count == 1)
    }
}
