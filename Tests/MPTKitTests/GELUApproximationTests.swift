import Foundation
import MPTFormats
import MPTGraph
import MPTReference
import Testing

/// llm-foundry's `ffn_act_fn: {name: gelu, approximate: tanh}` is computed as tanh GELU, never
/// silently as the exact erf GELU (Fixtures/scripts/gelu_tanh_golden.py made the float64 golden).
@Suite("GELU approximation")
struct GELUApproximationTests {
    /// A copy of mpt-4h-f32 whose config declares `approximate` (nil: no ffn_act_fn at all).
    static func model(approximate: String?) throws -> String {
        let directory = try TestPaths.temporaryDirectory()
        let source = TestPaths.model("mpt-4h-f32")
        var config = try #require(try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: source + "/config.json"))) as? [String: Any])
        if let approximate {
            config["ffn_config"] = ["ffn_type": "mptmlp", "ffn_act_fn": ["name": "gelu", "approximate": approximate]]
        }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: directory + "/config.json"))
        try FileManager.default.createSymbolicLink(atPath: directory + "/model.safetensors", withDestinationPath: source + "/model.safetensors")
        return directory
    }

    static let golden = TestPaths.fixture("goldens/gelu_tanh/mpt-4h-f32-logits_f64.npy")
    static let tokens = "0,17,319,42,100,255,256,7,128,64,300,5,211,99,160,1"

    @Test func tanhIsComputedAsTanh() throws {
        let model = try Self.model(approximate: "tanh")
        defer { try? FileManager.default.removeItem(atPath: model) }
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: model + "/config.json"))))
        #expect(try MPTConfig.normalize(json).config.geluApproximation == .tanh)
        let run = try runTool("mpt-verify", [model, "--tokens", Self.tokens, "--reference-logits", Self.golden,
                                             "--precision", "f64", "--max-rel-l2", "1e-9"])
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
    }

    /// The bite: the same weights with the exact GELU are 1.6e-4 (rel-L2) away from the tanh golden.
    @Test(arguments: [nil, "none"])
    func exactGELUDoesNotMatchTheTanhGolden(approximate: String?) throws {
        let model = try Self.model(approximate: approximate)
        defer { try? FileManager.default.removeItem(atPath: model) }
        let run = try runTool("mpt-verify", [model, "--tokens", Self.tokens, "--reference-logits", Self.golden,
                                             "--precision", "f64", "--max-rel-l2", "1e-5"])
        #expect(run.status == 1, "\(run.standardOutput)\(run.standardError)")
    }

    @Test func unknownApproximationIsRefused() throws {
        let model = try Self.model(approximate: "sigmoid")
        defer { try? FileManager.default.removeItem(atPath: model) }
        let run = try runTool("mpt-verify", [model, "--tokens", "1,2"])
        #expect(run.status == 2 && run.standardError.contains("ffn_act_fn.approximate"), "\(run.standardError)")
    }
}
