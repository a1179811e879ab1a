import Foundation
import Testing
@testable import MPTCLI
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph
@testable import MPTQuant

/// The output is decided before anything is read: every format/quantization combination the
/// exporters cannot write is refused by `OutputPlan`, and by `mpt-convert` as a usage error.
@Suite struct OutputPlanTests {
    @Test func planRefusesWhatTheExportersCannotWrite() throws {
        #expect(throws: OutputPlanError.quantization(.nf4, format: .gguf)) { try OutputPlan(format: .gguf, quant: .nf4) }
        #expect(throws: OutputPlanError.quantization(.int8, format: .gguf)) { try OutputPlan(format: .gguf, quant: .int8) }
        #expect(throws: OutputPlanError.quantization(.q4_0, format: .safetensors)) { try OutputPlan(quant: .q4_0) }
        #expect(throws: OutputPlanError.quantization(.q8_0, format: .safetensors)) { try OutputPlan(quant: .q8_0) }
        _ = try OutputPlan(format: .gguf, shardSize: 1 << 20)  // written as llama-gguf-split parts
        #expect(throws: OutputPlanError.nf4Blocksize(96)) { try OutputPlan(quant: .nf4, nf4: NF4Settings(blocksize: 96)) }
        #expect(throws: OutputPlanError.nf4Blocksize(8192)) { try OutputPlan(quant: .nf4, nf4: NF4Settings(blocksize: 8192)) }
        #expect(throws: OutputPlanError.threads(0)) { try OutputPlan(threads: 0) }
        for quant in [QuantScheme.none, .int8, .nf4] { _ = try OutputPlan(format: .safetensors, quant: quant, shardSize: 1000) }
        for quant in [QuantScheme.none, .q8_0, .q4_0] { _ = try OutputPlan(format: .gguf, quant: quant) }
        // The messages speak of the output, not of flags.
        for error in [OutputPlanError.quantization(.nf4, format: .gguf), .nf4Blocksize(3), .threads(0)] {
            #expect(!error.description.contains("--"), "\(error)")
        }
    }

    @Test func inputsDTypeFollowsTheEmbedding() throws {
        let f32 = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model("mpt-4h-f32")))
        let bf16 = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model("mpt-6h-clip-bf16")))
        #expect(DTypeChoice.inputs.resolved(for: f32) == .f32)
        #expect(DTypeChoice.inputs.resolved(for: bf16) == .bf16)
        #expect(DTypeChoice.fixed(.f16).resolved(for: bf16) == .f16)
    }

    /// Each refused combination exits 64 with the usage text — even for an input that does not
    /// exist, which shows that nothing was read — and leaves no output.
    @Test(arguments: [
        (["out.gguf", "--quant", "nf4"], "--quant nf4"),
        (["out", "--format", "gguf", "--quant", "int8"], "--quant int8"),
        (["out", "--quant", "q4_0"], "--format gguf"),
        (["out", "--format", "safetensors", "--quant", "q8_0"], "--format gguf"),
        (["out.gguf", "--shard-size", "0"], "--shard-size"),
        (["out", "--quant", "nf4", "--blocksize", "100"], "--blocksize"),
        (["out", "--threads", "0"], "--threads"),
        (["out", "--quant", "int8", "--blocksize", "128"], "--blocksize"),
        (["out", "--no-double-quant"], "--quant nf4"),
    ])
    func convertRefusesUnwritableOutputsAsUsageErrors(arguments: [String], mentions: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for input in [TestPaths.model("mpt-4h-f32"), directory + "/no-such-model"] {
            let run = try ChildRun.tool("mpt-convert", [input, directory + "/" + arguments[0]] + arguments.dropFirst())
            #expect(run.exitStatus == 64, "\(arguments): exit \(run.exitStatus): \(run.standardError)")
            #expect(run.standardError.contains(mentions), "\(run.standardError)")
            #expect(run.standardError.contains("Usage: mpt-convert"), "\(run.standardError)")
            #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
        }
    }

    /// `--threads` is validated once for every tool that has it.
    @Test(arguments: [
        ("mpt-verify", [String]()), ("mpt-generate", ["--tokens", "1"]), ("mpt-tokenize", ["--text", "a"]),
    ])
    func everyToolRefusesZeroThreads(tool: String, extra: [String]) throws {
        let run = try ChildRun.tool(tool, [TestPaths.model("mpt-4h-f32"), "--threads", "0"] + extra)
        #expect(run.exitStatus == 64, "\(tool): \(run.standardError)")
        #expect(run.standardError.contains("--threads must be 1…"), "\(run.standardError)")
    }

    @Test func threadsDefaultToTheAvailableCores() throws {
        #expect(AvailableCores.count >= 1)
        #expect(AvailableCores.count <= ProcessInfo.processInfo.activeProcessorCount)
        #expect(try ThreadOptions.parse([]).threads == min(AvailableCores.count, ThreadOptions.range.upperBound))
        #expect(try ThreadOptions.parse(["--threads", "3"]).threads == 3)
    }

    @Test func checkpointKnowsItsDirectory() throws {
        let model = TestPaths.model("mpt-4h-f32")
        #expect(try CheckpointLoader.open(model).directory == model)
        #expect(try CheckpointLoader.open(model + "/model.safetensors").directory == model)
        #expect(Checkpoint.directory(of: "model.gguf") == ".")
        #expect(Checkpoint.directory(of: "/model.gguf") == "/")
        #expect(Checkpoint.directory(of: model + "/model.safetensors") == model)
        #expect(try CheckpointLoader.open(model).file("config.json") == model + "/config.json")
    }
}

/// Lower layers name no flags; the tools add the flag that helps.
@Suite struct FlagHintTests {
    @Test func lowerLayerMessagesNameNoFlags() {
        let errors: [any Error & CustomStringConvertible] = [
            ConversionError.nonFinite(tensor: "w", count: 3), ConversionError.overflow(tensor: "w", count: 1, dtype: "f16"),
            CoreError.alreadyExists(path: "/out"), GGUFExportError.unsupportedQuantization("nf4"),
        ]
        for error in errors { #expect(!error.description.contains("--"), "\(error)") }
    }

    @Test func hintsAreAddedForTheirErrors() {
        #expect(FlagHint.hint(for: FileError(path: "/m", underlying: ConversionError.nonFinite(tensor: "w", count: 3)))
            == "use --allow-nonfinite to keep them")
        #expect(FlagHint.hint(for: ConversionError.overflow(tensor: "w", count: 1, dtype: "f16")) == "use --allow-nonfinite to keep them")
        #expect(FlagHint.hint(for: FileError(path: "/out", underlying: CoreError.alreadyExists(path: "/out"))) == "use --force to replace it")
        #expect(FlagHint.hint(for: CoreError.writeFailed(path: "/out", reason: "No space left on device")) == nil)
    }

    @Test func writeFailuresHaveTheirOwnCases() throws {
        #expect(CoreError.writeFailed(path: "/o", reason: "No space left on device").description == "cannot write /o: No space left on device")
        #expect(CoreError.syncFailed(path: "/o", reason: "Input/output error").description == "cannot fsync /o: Input/output error")
        #expect(CoreError.renameFailed(from: "/.o.tmp", to: "/o", reason: "Permission denied").description
            == "cannot rename /.o.tmp to /o: Permission denied")
        // A file that exists is refused with its own case.
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        _ = FileManager.default.createFile(atPath: directory + "/taken", contents: Data())
        #expect(throws: CoreError.alreadyExists(path: directory + "/taken")) { _ = try AtomicOutputFile(path: directory + "/taken") }
        #expect(throws: CoreError.alreadyExists(path: directory + "/taken")) {
            _ = try OutputDirectory(path: directory + "/taken", replaceExisting: false)
        }
        // Writing into a directory that does not exist names the file and the errno text.
        let npy = NpyArray(shape: [1], values: [1], elementType: .float32)
        #expect {
            try npy.write(to: directory + "/missing/x.npy")
        } throws: { error in
            guard case let .writeFailed(path, _)? = error as? CoreError else { return false }
            return path == directory + "/missing/x.npy"
        }
    }

    /// The CLI message still carries the hints.
    @Test func cliMessagesCarryTheHints() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.createDirectory(atPath: directory + "/out", withIntermediateDirectories: false)
        let existing = try ChildRun.tool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory + "/out"])
        #expect(existing.exitStatus == 2)
        #expect(existing.standardError.contains("already exists (use --force to replace it)"), "\(existing.standardError)")

        let model = directory + "/nan"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: false)
        let source = try SafetensorsFile.read(path: TestPaths.model("mpt-4h-f32") + "/model.safetensors")
        let tensors = try source.names.map { name -> OutputTensor in
            let view = try #require(source[name])
            guard name == "transformer.blocks.0.ffn.up_proj.weight" else { return OutputTensor.copying(view, as: name) }
            var values = try view.floats()
            values[0] = .infinity
            let poisoned = values
            return OutputTensor(name: name, dtype: .f32, shape: view.shape) { try $0.write(poisoned) }
        }
        try SafetensorsWriter.writeModel(directory: model, tensors: tensors)
        try FileManager.default.copyItem(atPath: TestPaths.model("mpt-4h-f32") + "/config.json", toPath: model + "/config.json")
        for extra in [["--dtype", "f16"], ["--quant", "nf4"], ["--quant", "q8_0"]] {
            let output = directory + (extra.contains("q8_0") ? "/x.gguf" : "/x")
            let run = try ChildRun.tool("mpt-convert", [model, output] + extra)
            #expect(run.exitStatus == 2, "\(extra): \(run.standardError)")
            #expect(run.standardError.contains("NaN/Inf values (use --allow-nonfinite to keep them)"), "\(extra): \(run.standardError)")
        }
    }
}
