import Foundation
import Testing
@testable import MPTFormats
@testable import MPTQuant

/// A golden of Fixtures/goldens/gguf_mix (Fixtures/scripts/gguf_mix_goldens.py): an F32 GGUF's
/// tensors and, per llama-quantize file type, the type it gave each tensor.
struct MixGolden {
    struct Outcome {
        var fileTypeNumber: Int
        var fallbacks: Int
        var types: [String: String]
    }

    var fixture: String
    var blockCount: Int
    var tensors: [LlamaQuantMix.Tensor]
    var outcomes: [String: Outcome]
    /// The synthetic model's shape, when the fixture is not a committed model.
    var syntheticSpec: JSONValue?

    static let directory = TestPaths.fixture("goldens/gguf_mix")

    static func all() throws -> [MixGolden] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".json") }.sorted()
        return try names.map { try load(directory + "/" + $0) }
    }

    static func named(_ fixture: String) throws -> MixGolden { try load(directory + "/\(fixture).json") }

    static func load(_ path: String) throws -> MixGolden {
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        let tensors = try #require(json["tensors"]?.arrayValue).map { entry in
            LlamaQuantMix.Tensor(name: entry["name"]?.stringValue ?? "",
                                 shape: (entry["dims_innermost_first"]?.arrayValue ?? []).compactMap(\.intValue).reversed())
        }
        var outcomes: [String: Outcome] = [:]
        for (name, entry) in try #require(json["file_types"]?.objectMembers) {
            var types: [String: String] = [:]
            for (tensor, type) in entry["types"]?.objectMembers ?? [] { types[tensor] = type.stringValue }
            outcomes[name] = Outcome(fileTypeNumber: entry["general.file_type"]?.intValue ?? -1,
                                     fallbacks: entry["fallbacks"]?.intValue ?? -1, types: types)
        }
        let spec = json["synthetic_spec"]
        return MixGolden(fixture: json["fixture"]?.stringValue ?? path, blockCount: try #require(json["block_count"]?.intValue),
                         tensors: tensors, outcomes: outcomes, syntheticSpec: spec == .null ? nil : spec)
    }

    /// Our types for `fileType` (every input tensor is F32, so a kept tensor is F32).
    func ours(_ fileType: LlamaFileType, rules: LlamaQuantMix.Rules = .init()) -> [LlamaQuantMix.Choice] {
        LlamaQuantMix.plan(fileType: fileType, tensors: tensors, layerCount: blockCount, headsPerKVHead: 1, rules: rules)
    }

    /// Tensors whose type differs from the golden, as `name: ours ≠ llama`.
    func mismatches(_ fileType: LlamaFileType, rules: LlamaQuantMix.Rules = .init()) -> [String] {
        guard let outcome = outcomes[fileType.rawValue] else { return ["no golden for \(fileType)"] }
        var wrong: [String] = []
        let choices = ours(fileType, rules: rules)
        if choices.count != outcome.types.count { wrong.append("\(choices.count) tensors, golden \(outcome.types.count)") }
        for choice in choices {
            let type = choice.type?.description ?? "F32"
            if outcome.types[choice.name] != type { wrong.append("\(choice.name): \(type) ≠ \(outcome.types[choice.name] ?? "missing")") }
        }
        return wrong
    }
}

@Suite struct LlamaQuantMixTests {
    /// Every tensor of every golden fixture, for every file type, gets llama-quantize's type; the
    /// file type numbers and fallback counts agree too.
    @Test func goldensMatchLlamaQuantize() throws {
        let goldens = try MixGolden.all()
        #expect(goldens.count >= 4)
        #expect(goldens.contains { $0.tensors.contains { $0.rowLength % 256 == 0 && $0.shape.count == 2 } })
        #expect(goldens.contains { $0.tensors.contains { $0.rowLength % 256 != 0 && $0.shape.count == 2 } })
        var checked = 0
        for golden in goldens {
            #expect(Set(golden.outcomes.keys) == Set(LlamaFileType.withoutImatrix.map(\.rawValue)), "\(golden.fixture)")
            for fileType in LlamaFileType.withoutImatrix {
                let outcome = try #require(golden.outcomes[fileType.rawValue])
                #expect(outcome.types.count == golden.tensors.count)
                let wrong = golden.mismatches(fileType)
                #expect(wrong.isEmpty, "\(golden.fixture) \(fileType): \(wrong.prefix(5))")
                #expect(Int(fileType.number) == outcome.fileTypeNumber, "\(fileType)")
                #expect(golden.ours(fileType).filter { $0.fallbackFrom != nil }.count == outcome.fallbacks, "\(golden.fixture) \(fileType)")
                checked += outcome.types.count
            }
        }
        #expect(checked == goldens.reduce(0) { $0 + $1.tensors.count } * LlamaFileType.withoutImatrix.count)
    }

    /// The goldens catch wrong rules: every ffn_down treated as not use_more_bits, or the
    /// attn_qkv counter replaced by "always more bits".
    @Test func wrongRulesFailTheGoldens() throws {
        let goldens = try MixGolden.all()
        let noMoreBits = LlamaQuantMix.Rules(ffnDownUseMoreBits: { _, _ in false })
        let failures = goldens.flatMap { golden in [LlamaFileType.q4_k_m, .q5_k_m].map { golden.mismatches($0, rules: noMoreBits) } }
        #expect(failures.contains { !$0.isEmpty })
        let alwaysMore = LlamaQuantMix.Rules(attentionVUseMoreBits: { _, _ in true })
        #expect(goldens.contains { !$0.mismatches(.q4_k_m, rules: alwaysMore).isEmpty })
    }

    @Test func useMoreBitsMatchesLlamaCpp() {
        let eight = (0..<8).filter { LlamaQuantMix.useMoreBits($0, 8) }
        #expect(eight == [0, 3, 6, 7])
        let sixteen = (0..<16).filter { LlamaQuantMix.useMoreBits($0, 16) }
        #expect(sixteen == [0, 1, 4, 7, 10, 13, 14, 15])
        #expect((0..<2).filter { LlamaQuantMix.useMoreBits($0, 2) } == [1])  // 2 / 8 == 0: layer 0 is not "first eighth"
    }

    @Test func fallbackTableAndShapes() {
        #expect(LlamaQuantMix.fallbackTable(.q4_K) == .q5_0)
        #expect(LlamaQuantMix.fallbackTable(.q5_K) == .q5_1)
        #expect(LlamaQuantMix.fallbackTable(.q6_K) == .q8_0)
        #expect(LlamaQuantMix.fallbackTable(.q2_K) == .q4_0)
        #expect(LlamaQuantMix.fallbackTable(.q3_K) == .q4_0)
        #expect(LlamaQuantMix.fallbackTable(.iq4_XS) == .iq4_NL)
        var counters = LlamaQuantMix.Counters(names: [], layerCount: 1)
        #expect(LlamaQuantMix.fallback(.q4_K, rowLength: 800, counters: &counters) == .q5_0)
        #expect(LlamaQuantMix.fallback(.q4_K, rowLength: 808, counters: &counters) == .f16)
        #expect(LlamaQuantMix.fallback(.q4_0, rowLength: 808, counters: &counters) == .f16)
        #expect(LlamaQuantMix.fallback(.q4_K, rowLength: 512, counters: &counters) == .q4_K)
        #expect(counters.fallbackCount == 3)
    }

    @Test func neverQuantizedTensors() {
        func allows(_ name: String, _ shape: [Int]) -> Bool { LlamaQuantMix.allowsQuantization(.init(name: name, shape: shape)) }
        #expect(allows("blk.0.attn_qkv.weight", [768, 256]))
        #expect(!allows("blk.0.attn_qkv.bias", [768]))
        #expect(!allows("blk.0.attn_norm.weight", [256]))
        #expect(!allows("blk.0.attn_q_norm.weight", [1, 256]))
        #expect(!allows("position_embd.weight", [64, 256]))
        #expect(!allows("output_norm.weight", [256]))
        #expect(!allows("blk.0.ffn_up.weight", [1, 1024]))  // ggml_n_dims 1
        #expect(allows("output.weight", [320, 256]))
    }

    @Test func weightsMapOrderAndCategories() {
        let names = ["blk.10.ffn_down.weight", "token_embd.weight", "blk.2.ffn_down.weight", "blk.2.attn_qkv.weight", "output.weight"]
        #expect(LlamaQuantMix.llamaOrder(names).map { names[$0] } ==
                ["output.weight", "token_embd.weight", "blk.2.attn_qkv.weight", "blk.2.ffn_down.weight", "blk.10.ffn_down.weight"])
        #expect(LlamaQuantMix.Category(name: "blk.0.attn_qkv.weight") == .attentionQKV)
        #expect(LlamaQuantMix.Category(name: "blk.0.ffn_down.weight") == .ffnDown)
        #expect(LlamaQuantMix.Category(name: "blk.0.attn_output.weight") == .attentionOutput)
        #expect(LlamaQuantMix.Category(name: "output_norm.weight") == .other)
        let counters = LlamaQuantMix.Counters(names: names, layerCount: 11)
        #expect(counters.attentionVCount == 1 && !counters.hasTiedEmbeddings && counters.ffnDownCount == 11)
    }

    /// The ffn_down counter counts ffn_down tensors in weights_map order, so blk.10 comes after
    /// blk.9 (not after blk.1 as a plain name sort would put it).
    @Test func ffnDownCounterFollowsBlockNumbers() {
        let layers = 16
        let tensors = (0..<layers).map { LlamaQuantMix.Tensor(name: "blk.\($0).ffn_down.weight", shape: [256, 1024]) }
        let types = LlamaQuantMix.plan(fileType: .q4_k_m, tensors: tensors, layerCount: layers).map(\.type)
        let expected = (0..<layers).map { LlamaQuantMix.useMoreBits($0, layers) ? GGMLType.q6_K : .q4_K }
        #expect(types == expected)
    }

    @Test func fileTypeNames() {
        #expect(LlamaFileType.allCases.count == 18 && LlamaFileType.withoutImatrix.count == 17)
        #expect(LlamaFileType(name: "Q4_K_M") == .q4_k_m)
        #expect(LlamaFileType.q4_k_m.llamaQuantizeName == "Q4_K_M")
        #expect(LlamaFileType.q4_k_m.number == 15 && LlamaFileType.iq4_xs.number == 30 && LlamaFileType.q4_0.number == 2)
        #expect(Set(LlamaFileType.allCases.map(\.rawValue)).isSubset(of: Set(QuantScheme.allCases.map(\.rawValue))))
        for fileType in LlamaFileType.allCases { #expect(QuantScheme(rawValue: fileType.rawValue)?.llamaFileType == fileType) }
    }
}
