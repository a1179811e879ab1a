import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph
@testable import MPTQuant

@Suite struct ConvertTests {
    private func convert(_ fixture: String, _ arguments: [String]) throws -> (directory: String, output: String, run: ToolRun) {
        let directory = try TestPaths.temporaryDirectory()
        let output = directory + "/out"
        let run = try runTool("mpt-convert", [TestPaths.model(fixture), output] + arguments)
        return (directory, output, run)
    }

    /// Casting f32 → bf16 rounds to nearest even exactly like our scalar twin, tensor by tensor.
    @Test func bf16CastMatchesScalarRounding() throws {
        let (directory, output, run) = try convert("mpt-4h-f32", ["--dtype", "bf16"])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(run.status == 0, "\(run.standardError)")
        let source = try SafetensorsFile.read(path: TestPaths.model("mpt-4h-f32") + "/model.safetensors")
        let converted = try SafetensorsFile.read(path: output + "/model.safetensors")
        #expect(Set(converted.names) == Set(source.names))
        for name in source.names {
            let expected = try #require(source[name]).floats().map(HalfConversion.bf16FromFloatScalar)
            let bytes = try #require(converted[name]).contiguousBytes()
            let words = stride(from: 0, to: bytes.count, by: 2).map { UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8 }
            #expect(words == expected, "\(name)")
        }
        let config = try #require(try CheckpointLoader.readConfig(output + "/config.json", required: true))
        #expect(config["torch_dtype"]?.stringValue == "bfloat16")
    }

    /// NF4 and int8 outputs hold, for every block linear weight (all 12 of the fixture's), exactly
    /// the components our bitsandbytes-identical quantizer produces, named as transformers saves
    /// them, and no other tensor is quantized.
    @Test(arguments: ["nf4", "int8"])
    func quantizedOutputHoldsBitsAndBytesComponents(quant: String) throws {
        let (directory, output, run) = try convert("mpt-6h-clip-bf16", ["--quant", quant])
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(run.status == 0, "\(run.standardError)")
        let source = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model("mpt-6h-clip-bf16")))
        let converted = try SafetensorsFile.read(path: output + "/model.safetensors")
        let linears: [CanonicalTensor.BlockTensor] = [.wqkv, .outProj, .upProj, .downProj]
        var checked = 0
        for layer in 0..<source.config.nLayers {
            for linear in linears {
                let weight = CanonicalTensor.block(layer, linear, .weight)
                let shape = weight.expectedShape(source.config)
                let values = try Dequantizer.floats(try source.source(weight))
                let components = quant == "nf4"
                    ? BitsAndBytesNF4.components(of: try BitsAndBytesNF4.quantize(values, shape: shape, options: NF4Options(sourceDType: .bf16)))
                    : BitsAndBytesInt8.components(of: try BitsAndBytesInt8.quantize(values, rows: shape[0], columns: shape[1]))
                #expect(!components.isEmpty)
                let module = String(weight.name.dropLast(".weight".count))
                for component in components {
                    let stored = try #require(converted[module + "." + component.name], "\(module).\(component.name)")
                    #expect(stored.dtype == component.dtype, "\(module).\(component.name)")
                    #expect(stored.shape.dims == component.shape, "\(module).\(component.name)")
                    #expect(try stored.contiguousBytes() == component.bytes, "\(module).\(component.name)")
                }
                checked += 1
            }
        }
        // 3 layers × 4 linears, and no other tensor of the output is quantized.
        #expect(checked == 12)
        let marker = quant == "nf4" ? ".weight.absmax" : ".SCB"
        let quantizedModules = converted.names.filter { $0.hasSuffix(marker) }
        #expect(quantizedModules.count == checked, "\(quantizedModules.sorted())")
        let config = try #require(try CheckpointLoader.readConfig(output + "/config.json", required: true))
        #expect(config["quantization_config"]?["quant_method"]?.stringValue == "bitsandbytes")
        #expect(config["quantization_config"]?[quant == "nf4" ? "load_in_4bit" : "load_in_8bit"]?.boolValue == true)
        // Norms and embeddings stay in the source dtype.
        #expect(converted["transformer.wte.weight"]?.dtype == .bf16)
    }

    /// Every conversion of every kind passes mpt-verify against its source within the defaults.
    @Test(arguments: [["--dtype", "f16"], ["--dtype", "bf16"], ["--quant", "int8"], ["--quant", "nf4"], ["--quant", "nf4", "--no-double-quant", "--blocksize", "128"]])
    func conversionPassesVerify(arguments: [String]) throws {
        let (directory, output, run) = try convert("mpt-4h-f32", arguments)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        #expect(run.status == 0, "\(run.standardError)")
        let verify = try runTool("mpt-verify", [TestPaths.model("mpt-4h-f32"), output, "--json"])
        #expect(verify.status == 0, "\(verify.standardOutput)\(verify.standardError)")
        let report = try JSONParser.parse(verify.standardOutput)
        #expect(report["pass"]?.boolValue == true)
    }

    @Test func refusesUnsafeOutputs() throws {
        let inside = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), TestPaths.model("mpt-4h-f32") + "/converted"])
        #expect(inside.status == 2)
        #expect(inside.standardError.contains("inside the input directory"))
        let same = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), TestPaths.model("mpt-4h-f32")])
        #expect(same.status == 2)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let existing = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory])
        #expect(existing.status == 2)
        #expect(existing.standardError.contains("--force"))
        let forced = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory, "--force", "--dtype", "f16"])
        #expect(forced.status == 0, "\(forced.standardError)")
        #expect(FileManager.default.fileExists(atPath: directory + "/model.safetensors"))
    }
}

@Suite struct ConvertPathTests {
    /// A single weights file may get a sibling output (the llama.cpp workflow), but nothing that
    /// replaces the input, its directory, a parent of it, or files read next to it.
    @Test func singleFileInputAllowsSiblingsOnly() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = directory + "/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: true)
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(atPath: TestPaths.model("mpt-4h-f32") + "/" + name, toPath: model + "/" + name)
        }
        let weights = model + "/model.safetensors"
        #expect(throws: FileError.self) { try OutputPaths.check(input: weights, output: weights) }
        #expect(throws: FileError.self) { try OutputPaths.check(input: weights, output: model) }
        #expect(throws: FileError.self) { try OutputPaths.check(input: weights, output: model + "/config.json") }
        #expect(throws: FileError.self) { try OutputPaths.check(input: weights, output: directory) }
        #expect(throws: FileError.self) { try OutputPaths.check(input: model, output: directory) }
        try OutputPaths.check(input: weights, output: model + "/model-q8_0.gguf")
        let run = try runTool("mpt-convert", [weights, model + "/model-q8_0.gguf", "--quant", "q8_0"])
        #expect(run.status == 0, "\(run.standardError)")
    }
}
