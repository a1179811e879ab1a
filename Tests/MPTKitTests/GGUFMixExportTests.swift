import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph
@testable import MPTQuant

/// Writes the synthetic MPTs of Fixtures/scripts/gguf_mix_goldens.py (same names and shapes,
/// deterministic small values) so the exporter can be run on a golden's model.
enum SyntheticMPT {
    static func write(spec: JSONValue, at directory: String) throws {
        let d = try #require(spec["d_model"]?.intValue), layers = try #require(spec["n_layers"]?.intValue)
        let ffn = try #require(spec["ffn"]?.intValue), vocab = try #require(spec["vocab"]?.intValue)
        let heads = try #require(spec["n_heads"]?.intValue)
        let tied = spec["tied"]?.boolValue ?? true, bias = spec["bias"]?.boolValue ?? false
        let alibi = spec["alibi"]?.boolValue ?? true
        func tensor(_ name: String, _ dims: [Int]) throws -> OutputTensor {
            let shape = try Shape(checking: dims)
            let values = (0..<shape.elementCount).map { Float(($0 * 7919) % 2001 - 1000) / 50000 }
            return OutputTensor(name: name, dtype: .f32, shape: shape) { sink in try sink.write(values) }
        }
        var tensors = [try tensor("transformer.wte.weight", [vocab, d]), try tensor("transformer.norm_f.weight", [d])]
        if !alibi { tensors.append(try tensor("transformer.wpe.weight", [64, d])) }
        if bias { tensors.append(try tensor("transformer.norm_f.bias", [d])) }
        for layer in 0..<layers {
            let parts: [(String, [Int])] = [("norm_1", [d]), ("attn.Wqkv", [3 * d, d]), ("attn.out_proj", [d, d]),
                                            ("norm_2", [d]), ("ffn.up_proj", [ffn, d]), ("ffn.down_proj", [d, ffn])]
            for (name, dims) in parts {
                tensors.append(try tensor("transformer.blocks.\(layer).\(name).weight", dims))
                if bias { tensors.append(try tensor("transformer.blocks.\(layer).\(name).bias", [dims[0]])) }
            }
        }
        if !tied { tensors.append(try tensor("lm_head.weight", [vocab, d])) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        try SafetensorsWriter.writeModel(directory: directory, tensors: tensors)
        let config: JSONValue = .object([
            ("architectures", .array([.string("MptForCausalLM")])), ("model_type", .string("mpt")),
            ("d_model", .int(d)), ("n_heads", .int(heads)), ("n_layers", .int(layers)),
            ("expansion_ratio", .double(Double(ffn) / Double(d))), ("max_seq_len", .int(64)), ("vocab_size", .int(vocab)),
            ("learned_pos_emb", .bool(true)), ("no_bias", .bool(!bias)), ("layer_norm_epsilon", .double(1e-5)),
            ("norm_type", .string("low_precision_layernorm")), ("tie_word_embeddings", .bool(tied)),
            ("attn_config", .object([("alibi", .bool(alibi)), ("alibi_bias_max", .int(8)),
                                     ("attn_type", .string("multihead_attention")), ("qk_ln", .bool(false))])),
        ])
        try JSONWriter.pretty(config).write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
    }
}

@Suite struct GGUFMixExportTests {
    static func layout(_ model: String, quant: QuantScheme) throws -> [GGUFExport.PlannedTensor] {
        let source = try MPTModel(checkpoint: try CheckpointLoader.open(model))
        return try GGUFExport.layout(model: source, plan: try OutputPlan(format: .gguf, dtype: .fixed(.f32), quant: quant))
    }

    /// The exporter's planned types for a committed fixture and a synthetic one (rows of 808: F16
    /// fallbacks) equal llama-quantize's for every file type.
    @Test(arguments: ["mpt-4h-f32", "synthetic-d256-l2-ffn808"])
    func exporterTypesMatchGoldens(fixture: String) throws {
        let golden = try MixGolden.named(fixture)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var model = TestPaths.model(fixture)
        if let spec = golden.syntheticSpec {
            model = directory + "/" + fixture
            try SyntheticMPT.write(spec: spec, at: model)
        }
        for fileType in LlamaFileType.withoutImatrix {
            let quant = try #require(QuantScheme(rawValue: fileType.rawValue))
            let planned = try Self.layout(model, quant: quant)
            let expected = try #require(golden.outcomes[fileType.rawValue])
            #expect(planned.count == expected.types.count)
            for tensor in planned { #expect(expected.types[tensor.name] == tensor.type.description, "\(fileType) \(tensor.name)") }
            #expect(planned.filter { $0.fallbackFrom != nil }.count == expected.fallbacks, "\(fileType)")
        }
    }

    @Test func unknownQuantIsAUsageErrorListingTheNames() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try ChildRun.tool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory + "/o.gguf", "--quant", "q4_k_x"])
        #expect(run.exitStatus == 64, "\(run.standardError)")
        for name in LlamaFileType.allCases.map(\.rawValue) + ["none", "int8", "nf4"] {
            #expect(run.standardError.contains(name), "\(name)")
        }
    }

    /// A type without an encoder in this build is one line naming the tensor and the type; no
    /// output appears.
    @Test func missingEncoderNamesTensorAndType() throws {
        let model = TestPaths.model("mpt-4h-f32")
        let planned = try Self.layout(model, quant: .q4_k_m)
        guard let first = planned.first(where: { !GGMLQuantizer.canEncode($0.type) }) else { return }  // kernels merged
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try ChildRun.tool("mpt-convert", [model, directory + "/o.gguf", "--quant", "q4_k_m"])
        #expect(run.exitStatus == 2)
        #expect(run.standardError.split(separator: "\n").count == 1)
        #expect(run.standardError.contains("'\(first.name)'") && run.standardError.contains(first.type.description), "\(run.standardError)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/o.gguf"))
    }

    /// Q4_0 follows llama-quantize: the tied head wants Q6_K, falls back to Q8_0 on 64-wide rows,
    /// and the summary says so; `general.file_type` is LLAMA_FTYPE_MOSTLY_Q4_0.
    @Test func fallbackIsReportedAndFileTypeWritten() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/q4.gguf"
        let run = try ChildRun.tool("mpt-convert", [TestPaths.model("mpt-4h-f32"), output, "--quant", "q4_0"])
        #expect(run.exitStatus == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("1 fell back") && run.standardOutput.contains("Q6_K→Q8_0 ×1 (token_embd.weight)"),
                "\(run.standardOutput)")
        let file = try GGUFFile.read(path: output)
        #expect(file["general.file_type"] == .uint32(2))
        #expect(file.tensor(named: "token_embd.weight")?.type == .q8_0)
    }

    /// GGUF → GGUF from F32, F16 and BF16 files gives the types of a direct conversion.
    @Test(arguments: [TargetDType.f32, .f16, .bf16])
    func ggufInputsConvert(dtype: TargetDType) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = try GGUFExportSupport.convert(TestPaths.model("mpt-4h-f32"), into: directory, file: "in.gguf",
                                                  options: try OutputPlan(format: .gguf, dtype: .fixed(dtype)))
        let source = try MPTModel(checkpoint: try CheckpointLoader.open(input))
        let written = try GGUFExport.write(model: source, to: directory + "/q8.gguf", plan: try OutputPlan(format: .gguf, quant: .q8_0)).tensors
        let direct = try Self.layout(TestPaths.model("mpt-4h-f32"), quant: .q8_0)
        #expect(written.map(\.type) == direct.map(\.type))
        let file = try GGUFFile.read(path: directory + "/q8.gguf")
        #expect(file.tensor(named: "blk.0.attn_qkv.weight")?.type == .q8_0)
        #expect(file.tensor(named: "blk.0.attn_norm.weight")?.type == .f32)
    }

    /// GGUF → GGUF keeps the input file's tokenizer entries, as llama-quantize copies them.
    @Test func ggufInputKeepsItsTokenizer() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let input = try GGUFExportSupport.convert(TestPaths.model("mpt-neox-tok-f16"), into: directory, file: "in.gguf",
                                                  options: try OutputPlan(format: .gguf, dtype: .fixed(.f32)))
        let output = try GGUFExportSupport.convert(input, into: directory, file: "q8.gguf", options: try OutputPlan(format: .gguf, quant: .q8_0))
        let before = try GGUFFile.read(path: input), after = try GGUFFile.read(path: output)
        let keys = before.metadata.map(\.key).filter { $0.hasPrefix("tokenizer.") }
        #expect(keys.contains("tokenizer.ggml.tokens"))
        #expect(after.metadata.map(\.key).filter { $0.hasPrefix("tokenizer.") } == keys)
        for key in keys { #expect(after[key] == before[key], "\(key)") }
        #expect(after["general.file_type"] == .uint32(7))
    }

    /// A quantized GGUF is refused for a type change unless --allow-requantize; a file type that
    /// keeps every quantized tensor's type copies the blocks unchanged, without the flag.
    @Test func requantizingNeedsTheFlag() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = TestPaths.model("mpt-4h-f32")
        let q8 = try GGUFExportSupport.convert(model, into: directory, file: "q8.gguf", options: try OutputPlan(format: .gguf, quant: .q8_0))
        let refused = try ChildRun.tool("mpt-convert", [q8, directory + "/q4.gguf", "--quant", "q4_0"])
        #expect(refused.exitStatus == 2)
        #expect(refused.standardError.contains("already quantized (Q8_0)") && refused.standardError.contains("--allow-requantize"),
                "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/q4.gguf"))
        let allowed = try ChildRun.tool("mpt-convert", [q8, directory + "/q4.gguf", "--quant", "q4_0", "--allow-requantize"])
        #expect(allowed.exitStatus == 0, "\(allowed.standardError)")
        #expect(try GGUFFile.read(path: directory + "/q4.gguf").tensor(named: "blk.1.ffn_down.weight")?.type == .q4_0)

        let float = try ChildRun.tool("mpt-convert", [q8, directory + "/f32.gguf", "--allow-requantize"])
        #expect(float.exitStatus == 0, "\(float.standardError)")
        #expect(try GGUFFile.read(path: directory + "/f32.gguf").tensor(named: "blk.0.attn_qkv.weight")?.type == .f32)

        let again = try ChildRun.tool("mpt-convert", [q8, directory + "/q8b.gguf", "--quant", "q8_0"])
        #expect(again.exitStatus == 0, "\(again.standardError)")
        let before = try GGUFFile.read(path: q8), after = try GGUFFile.read(path: directory + "/q8b.gguf")
        for info in before.tensors {
            let copy = try #require(after.tensor(named: info.name))
            #expect(copy.type == info.type)
            #expect(try before.withBytes(of: info) { Array($0) } == after.withBytes(of: copy) { Array($0) }, "\(info.name)")
        }
    }

    /// mpt-inspect summarizes the types, bits per weight and size of a GGUF file.
    @Test func inspectSummarizesTypes() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try GGUFExportSupport.convert(TestPaths.model("mpt-4h-f32"), into: directory, file: "q4.gguf",
                                                 options: try OutputPlan(format: .gguf, quant: .q4_0))
        let file = try GGUFFile.read(path: path)
        let quantized = file.tensors.filter { $0.type == .q4_0 }.count
        let text = try ChildRun.tool("mpt-inspect", [path])
        #expect(text.exitStatus == 0, "\(text.standardError)")
        let line = try #require(text.standardOutput.split(separator: "\n").first { $0.hasPrefix("types: ") })
        #expect(line.contains("\(quantized) Q4_0") && line.contains("1 Q8_0") && line.contains("bits per weight"), "\(line)")
        let json = try ChildRun.tool("mpt-inspect", ["--json", path])
        let report = try JSONParser.parse(Array(json.standardOutput.utf8))
        #expect(report["types"]?["Q4_0"]?.intValue == quantized)
        let bits = try #require(report["bits_per_weight"]?.doubleValue)
        #expect(bits > 4.5 && bits < 32)
    }
}
