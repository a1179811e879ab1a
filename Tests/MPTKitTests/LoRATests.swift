import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph
@testable import MPTQuant

/// LoRA merging (`--merge-lora`) against peft: goldens from Fixtures/scripts/lora_fixture.py
/// (peft 0.21.2 `merge_and_unload`, float64 forward of the merged HF model).
@Suite struct LoRATests {
    static let base = TestPaths.model("mpt-4h-f32")

    static func adapter(_ name: String) -> String { TestPaths.fixture("adapters/" + name) }

    /// The fixture prompt, as `--tokens` text.
    static func tokens() throws -> String {
        let text = try String(contentsOfFile: base + "/reference/tokens.json", encoding: .utf8)
        return text.filter { !"[] \n".contains($0) }
    }

    /// peft's scale for an adapted module of each fixture adapter (from its LoraConfig, see the script).
    static func peftScale(adapter: String, module: String, rank: Int) -> Double {
        switch adapter {
        case "mpt-4h-lora-rslora": return 8 / Double(rank).squareRoot()
        case "mpt-4h-lora-patterns": return (module.hasSuffix("out_proj") ? 3 : 8) / Double(rank)
        default: return 8 / Double(rank)
        }
    }

    /// (adapter directory, directory holding the peft reference logits).
    static let goldenCases: [(String, String)] = [
        ("mpt-4h-lora", "mpt-4h-lora"),
        ("mpt-4h-lora-bin", "mpt-4h-lora"),
        ("mpt-4h-lora-rslora", "mpt-4h-lora-rslora"),
        ("mpt-4h-lora-patterns", "mpt-4h-lora-patterns"),
    ]

    private func relativeL2(_ run: ToolRun) throws -> Double {
        let json = try JSONParser.parse(run.standardOutput)
        return try #require(json["relative_l2"]?.doubleValue)
    }

    /// `mpt-verify BASE --merge-lora ADAPTER --reference-logits peft.npy` passes the exact tolerance.
    @Test(arguments: goldenCases)
    func verifyMergedInMemoryMatchesPeft(adapter: String, reference: String) throws {
        let logits = Self.adapter(reference) + "/reference/merged_logits_f64.npy"
        for precision in ["f32", "f64"] {
            let run = try runTool("mpt-verify", [Self.base, "--tokens", try Self.tokens(), "--merge-lora", Self.adapter(adapter),
                                                 "--reference-logits", logits, "--precision", precision, "--json"])
            #expect(run.status == 0, "\(run.standardError)")
            let error = try relativeL2(run)
            #expect(error <= 1e-5, "\(adapter) \(precision): rel-L2 \(error)")
        }
    }

    /// `mpt-convert --merge-lora` writes a model whose logits match peft's merged model.
    @Test(arguments: goldenCases)
    func convertedMergedModelMatchesPeft(adapter: String, reference: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/merged"
        let convert = try runTool("mpt-convert", [Self.base, output, "--merge-lora", Self.adapter(adapter)])
        #expect(convert.status == 0, "\(convert.standardError)")
        let run = try runTool("mpt-verify", [output, "--tokens", try Self.tokens(), "--json",
                                             "--reference-logits", Self.adapter(reference) + "/reference/merged_logits_f64.npy"])
        #expect(run.status == 0, "\(run.standardError)")
        let error = try relativeL2(run)
        #expect(error <= 1e-5, "\(adapter): rel-L2 \(error)")
    }

    /// Every weight of the converted model (and of the in-memory merged graph) equals
    /// W + scale·B·A computed here in Double, within 1e-6 of the terms' magnitude; weights the
    /// adapter does not touch are copied bit for bit.
    @Test(arguments: ["mpt-4h-lora", "mpt-4h-lora-rslora", "mpt-4h-lora-patterns"])
    func mergedWeightsEqualDoubleFormula(adapter: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let output = directory + "/merged"
        let convert = try runTool("mpt-convert", [Self.base, output, "--merge-lora", Self.adapter(adapter)])
        #expect(convert.status == 0, "\(convert.standardError)")
        let written = try SafetensorsFile.read(path: output + "/model.safetensors")
        let baseTensors = try SafetensorsFile.read(path: Self.base + "/model.safetensors")
        let factors = try SafetensorsFile.read(path: Self.adapter(adapter) + "/adapter_model.safetensors")
        let inMemory = try MPTModel(checkpoint: try CheckpointLoader.open(Self.base)).mergingLoRA(try PeftAdapter.open(Self.adapter(adapter)))
        var adapted = 0
        for name in baseTensors.names {
            let weight = try #require(baseTensors[name])
            let ours = try #require(written[name], "\(name) missing").floats()
            let module = String(name.dropLast(".weight".count))
            guard let a = factors["base_model.model.\(module).lora_A.weight"],
                  let b = factors["base_model.model.\(module).lora_B.weight"] else {
                #expect(try written[name]?.contiguousBytes() == weight.contiguousBytes(), "\(name) changed")
                continue
            }
            adapted += 1
            let (rows, columns, rank) = (weight.shape.dims[0], weight.shape.dims[1], a.shape.dims[0])
            let scale = Self.peftScale(adapter: adapter, module: module, rank: rank)
            let w = try weight.floats().map(Double.init), av = try a.floats().map(Double.init), bv = try b.floats().map(Double.init)
            let canonical = try #require(inMemory.orderedTensors.first { $0.name == name })
            let computed = try Dequantizer.floats(try inMemory.source(canonical))
            #expect(computed == ours, "\(name): in-memory merge differs from the written one")
            var worst = 0.0
            for row in 0..<rows {
                for column in 0..<columns {
                    var product = 0.0, magnitude = 0.0
                    for k in 0..<rank {
                        product += bv[row * rank + k] * av[k * columns + column]
                        magnitude += abs(bv[row * rank + k] * av[k * columns + column])
                    }
                    let index = row * columns + column
                    let exact = w[index] + scale * product
                    let bound = abs(w[index]) + abs(scale) * magnitude
                    worst = max(worst, abs(Double(ours[index]) - exact) / bound)
                }
            }
            #expect(worst <= 1e-6, "\(name): relative error \(worst)")
        }
        #expect(adapted == factors.count / 2)
    }

    /// The merge happens in float32 before any cast or quantization: a bf16 output holds the
    /// bf16 rounding of the merged float32 weight, an NF4 output the NF4 quantization of it.
    @Test func mergeComesBeforeCastAndQuantization() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let merged = try MPTModel(checkpoint: try CheckpointLoader.open(Self.base)).mergingLoRA(try PeftAdapter.open(Self.adapter("mpt-4h-lora")))
        let weight = CanonicalTensor.block(1, .upProj, .weight)
        let values = try Dequantizer.floats(try merged.source(weight))

        let bf16 = try runTool("mpt-convert", [Self.base, directory + "/bf16", "--dtype", "bf16", "--merge-lora", Self.adapter("mpt-4h-lora")])
        #expect(bf16.status == 0, "\(bf16.standardError)")
        let bytes = try #require(try SafetensorsFile.read(path: directory + "/bf16/model.safetensors")[weight.name]).contiguousBytes()
        let words = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
        #expect(words == values.map(HalfConversion.bf16FromFloatScalar))

        let nf4 = try runTool("mpt-convert", [Self.base, directory + "/nf4", "--quant", "nf4", "--merge-lora", Self.adapter("mpt-4h-lora")])
        #expect(nf4.status == 0, "\(nf4.standardError)")
        let written = try SafetensorsFile.read(path: directory + "/nf4/model.safetensors")
        let expected = BitsAndBytesNF4.components(of: try BitsAndBytesNF4.quantize(values, shape: [256, 64], options: NF4Options(sourceDType: .f32)))
        for component in expected {
            let stored = try #require(written["transformer.blocks.1.ffn.up_proj." + component.name], "\(component.name)")
            #expect(try stored.contiguousBytes() == component.bytes, "\(component.name)")
        }
    }

    /// The SIMD merge kernel and its scalar twin agree bit for bit (odd column count for the tail).
    @Test func simdMergeMatchesScalarTwin() throws {
        var generator = SystemRandomNumberGenerator()
        let (rows, columns, rank) = (13, 37, 5)
        let base = (0..<(rows * columns)).map { _ in Float.random(in: -1...1, using: &generator) }
        let a = (0..<(rank * columns)).map { _ in Float.random(in: -1...1, using: &generator) }
        let b = (0..<(rows * rank)).map { _ in Float.random(in: -1...1, using: &generator) }
        var simd = base, scalar = base
        try LoRAMerge.addScaledProduct(into: &simd, rows: rows, columns: columns, a: a, b: b, rank: rank, scale: 1.75, threads: 2, kernel: .simd)
        try LoRAMerge.addScaledProduct(into: &scalar, rows: rows, columns: columns, a: a, b: b, rank: rank, scale: 1.75, kernel: .scalar)
        #expect(simd == scalar)
        #expect(simd != base)
        #expect(throws: LoRAMerge.ShapeError.self) {
            try LoRAMerge.addScaledProduct(into: &scalar, rows: rows, columns: columns, a: a, b: Array(b.dropLast()), rank: rank, scale: 1)
        }
    }

    // MARK: - Refusals

    /// A copy of `mpt-4h-lora` with config keys replaced (JSON values as Foundation objects).
    private func editedAdapter(in directory: String, _ edits: [String: Any]) throws -> String {
        let path = directory + "/adapter"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let source = Self.adapter("mpt-4h-lora")
        try FileManager.default.copyItem(atPath: source + "/adapter_model.safetensors", toPath: path + "/adapter_model.safetensors")
        let data = try Data(contentsOf: URL(fileURLWithPath: source + "/adapter_config.json"))
        var config = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        for (key, value) in edits { config[key] = value }
        try JSONSerialization.data(withJSONObject: config).write(to: URL(fileURLWithPath: path + "/adapter_config.json"))
        return path
    }

    /// Both tools refuse `adapter` with exit 2 and one line naming `expected`; no output is left.
    private func expectRefusal(_ adapter: String, base: String = base, mentions expected: [String], in directory: String) throws {
        let verify = try runTool("mpt-verify", [base, "--merge-lora", adapter])
        let output = directory + "/out-\(UUID().uuidString)"
        let convert = try runTool("mpt-convert", [base, output, "--merge-lora", adapter])
        for run in [verify, convert] {
            #expect(run.status == 2, "\(adapter): exit \(run.status) \(run.standardError)")
            let lines = run.standardError.split(separator: "\n")
            #expect(lines.count == 1, "\(run.standardError)")
            for text in expected { #expect(run.standardError.contains(text), "\(run.standardError) lacks \(text)") }
        }
        #expect(!FileManager.default.fileExists(atPath: output))
    }

    /// peft-made hostile adapters: DoRA, a LoRA on the tied output head, a module MPT lacks.
    @Test(arguments: [
        ("mpt-4h-lora-dora", ["use_dora=true", "DoRA"]),
        ("mpt-4h-lora-lm-head", ["'lm_head'", "not a linear layer"]),
        ("mpt-4h-lora-unknown-module", ["'transformer.blocks.0.attn.q_proj'", "not a linear layer"]),
    ])
    func hostileFixtureAdaptersAreRefused(adapter: String, expected: [String]) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try expectRefusal(Self.adapter(adapter), mentions: expected, in: directory)
    }

    /// Each unsupported or inconsistent config option is a one-line error with exit 2.
    @Test func unsupportedOptionsAreRefused() throws {
        let cases: [([String: Any], [String])] = [
            (["fan_in_fan_out": true], ["fan_in_fan_out=true"]),
            (["bias": "all"], ["bias", "\"all\""]),
            (["bias": "lora_only"], ["bias", "\"lora_only\""]),
            (["modules_to_save": ["lm_head"]], ["modules_to_save"]),
            (["peft_type": "PREFIX_TUNING"], ["PREFIX_TUNING", "only LORA"]),
            (["use_dora": true], ["use_dora=true"]),
            (["lora_bias": true], ["lora_bias=true"]),
            (["rank_pattern": ["Wqkv": 8]], ["'transformer.blocks.0.attn.Wqkv'", "rank 4", "r=8"]),
            (["layers_to_transform": [1]], ["'transformer.blocks.0.attn.Wqkv'", "layers_to_transform"]),
            (["target_modules": ["Wqkv"]], ["'transformer.blocks.0.attn.out_proj'", "target_modules"]),
            (["r": "four"], ["'r'", "positive integer"]),
        ]
        for (edits, expected) in cases {
            let directory = try TestPaths.temporaryDirectory()
            defer { try? FileManager.default.removeItem(atPath: directory) }
            try expectRefusal(try editedAdapter(in: directory, edits), mentions: expected, in: directory)
        }
    }

    /// An adapter trained for another model size fails the shape check, naming the tensor.
    @Test func adapterForAnotherModelIsRefused() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try expectRefusal(Self.adapter("mpt-4h-lora"), base: TestPaths.model("mpt-6h-clip-bf16"),
                          mentions: ["lora_A.weight", "has shape [4, 64], expected [4, 96]"], in: directory)
    }

    /// A directory without weights, and a missing directory, are one-line errors too.
    @Test func missingAdapterFilesAreRefused() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let adapter = try editedAdapter(in: directory, [:])
        try FileManager.default.removeItem(atPath: adapter + "/adapter_model.safetensors")
        try expectRefusal(adapter, mentions: ["adapter_model.safetensors", "adapter_model.bin"], in: directory)
        try expectRefusal(directory + "/nowhere", mentions: ["no such adapter directory"], in: directory)
    }
}
