import Foundation
import MPTFormats
import Testing

/// transformers 5 validates config fields strictly (`alibi_bias_max: 8.0` fails `from_pretrained`
/// with "expected int, got float"): every member of every output config must have the JSON type
/// transformers declares for it.
@Suite("Output config types")
struct OutputConfigTypesTests {
    /// Every model fixture but `mpt-4h-f32-bin-tied`, which is a loader test, not a convertible
    /// model (its `extra.transposed` tensor is refused on purpose; `mpt-4h-f32-bin` is the same model).
    static let fixtures: [String] = {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: TestPaths.fixture("models"))) ?? []
        return names.sorted().filter { $0 != "mpt-4h-f32-bin-tied" }
    }()

    static let kinds: [[String]] = [["--dtype", "bf16"], ["--dtype", "f16"], ["--quant", "nf4"], ["--quant", "int8"]]

    @Test func everyFixtureIsCovered() {
        #expect(Self.fixtures.count >= 11, "\(Self.fixtures)")
    }

    @Test(arguments: fixtures)
    func everyOutputConfigHasTheDeclaredTypes(_ fixture: String) throws {
        let table = try ConfigTypeTable.committed()
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (index, kind) in Self.kinds.enumerated() {
            let output = directory + "/out\(index)"
            let run = try runTool("mpt-convert", [TestPaths.model(fixture), output] + kind)
            #expect(run.status == 0, "\(fixture) \(kind): \(run.standardError)")
            guard run.status == 0 else { continue }
            let config = try JSONParser.parse(ChildRun.readWhole(output + "/config.json"))
            #expect(table.problems(in: config) == [], "\(fixture) \(kind)")
            #expect(config["attn_config"]?["alibi_bias_max"].map(ConfigTypeTable.typeName) == "integer", "\(fixture) \(kind)")
            if kind[0] == "--quant" {
                #expect(config["quantization_config"]?.objectMembers?.isEmpty == false, "\(fixture) \(kind)")
            }
        }
    }

    /// The check fails on what transformers 5 rejects, and on a field the table does not know.
    @Test func checkerRejectsFloatIntegersAndUnknownFields() throws {
        let table = try ConfigTypeTable.committed()
        let floatBiasMax = try JSONParser.parse(#"{"d_model": 64, "attn_config": {"alibi": true, "alibi_bias_max": 8.0}}"#)
        #expect(table.problems(in: floatBiasMax) == ["attn_config.alibi_bias_max: float, declared integer"])
        let floatDModel = try JSONParser.parse(#"{"d_model": 64.0}"#)
        #expect(table.problems(in: floatDModel) == ["d_model: float, declared integer"])
        let intThreshold = try JSONParser.parse(#"{"quantization_config": {"llm_int8_threshold": 6}}"#)
        #expect(table.problems(in: intThreshold) == ["quantization_config.llm_int8_threshold: integer, declared float"])
        let unknown = try JSONParser.parse(#"{"d_model": 64, "rope_theta": 10000}"#)
        #expect(table.problems(in: unknown) == ["rope_theta: not in the table (unknown field)"])
        let unknownNested = try JSONParser.parse(#"{"attn_config": {"qk_gn": false}}"#)
        #expect(table.problems(in: unknownNested) == ["attn_config.qk_gn: not in the table (unknown field)"])
        let good = try JSONParser.parse(#"{"d_model": 64, "layer_norm_epsilon": 1e-05, "logit_scale": null, "attn_config": {"alibi_bias_max": 8, "clip_qkv": 0.75}}"#)
        #expect(table.problems(in: good) == [])
    }
}
