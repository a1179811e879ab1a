import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTQuant

/// Whole files against llama-quantize (Fixtures/goldens/gguf_files, written by
/// Fixtures/scripts/gguf_file_goldens.py): a file MPTKit writes holds, tensor for tensor (matched
/// by name, count checked), the types, shapes and bytes of llama-quantize's output from the same
/// F32 GGUF, and the same metadata apart from the keys Formats/gguf-mpt.md lists ("Whole-file
/// goldens"). Models: the trained fixture (d_model 256, so the K-quants apply; F32 GGUF by
/// llama.cpp's converter) and `TrainedSlice`, its weights cut to 1/7 so that debug builds can
/// write all 16 file types.
@Suite struct GGUFWholeFileGoldenTests {
    static let fixture = "mpt-trained-d256"

    /// The differences between the file at `path` and the golden of `fileType` (empty when equal).
    static func mismatches(_ path: String, fileType: String, golden: GGUFFileGolden) throws -> [String] {
        let expected = try #require(golden.fileTypes[fileType], "no golden for \(fileType)")
        let file = try GGUFFile.read(path: path)
        return GGUFFileGolden.tensorMismatches(try GoldenTensor.records(of: file), expected: expected.tensors)
            + golden.metadataMismatches(file, fileTypeNumber: expected.fileTypeNumber)
    }

    static func convert(_ input: String, into directory: String, file: String, quant: QuantScheme) throws -> String {
        try GGUFExportSupport.convert(input, into: directory, file: file, options: try OutputPlan(format: .gguf, quant: quant))
    }

    /// Both goldens cover exactly the file types mpt-convert accepts without an imatrix (IQ3_XXS
    /// needs one: ImatrixConvertTests), each with all the model's tensors.
    @Test func goldensCoverEveryFileType() throws {
        #expect(LlamaFileType.withoutImatrix.count == 17)
        for (fixture, count) in [(Self.fixture, 14), (TrainedSlice.name, 8)] {
            let golden = try GGUFFileGolden.named(fixture)
            #expect(Set(golden.fileTypes.keys) == Set(LlamaFileType.withoutImatrix.map(\.rawValue)), "\(fixture)")
            for (name, entry) in golden.fileTypes { #expect(entry.tensors.count == count, "\(fixture) \(name)") }
            #expect(golden.f32Input.count == count, "\(fixture)")
        }
    }

    /// `--dtype f32` of the bf16 fixture holds the tensors of llama.cpp's converter's F32 GGUF,
    /// byte for byte (so the GGUF → GGUF tests start from llama-quantize's input), and the slice
    /// this test writes holds the tensors of the golden script's slice.
    @Test func f32ConversionsHoldTheGoldensInputs() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (fixture, model) in [(Self.fixture, TestPaths.model(Self.fixture)), (TrainedSlice.name, try TrainedSlice.write(in: directory))] {
            let golden = try GGUFFileGolden.named(fixture)
            let path = try GGUFExportSupport.convert(model, into: directory, file: "\(fixture)-f32.gguf",
                                                     options: try OutputPlan(format: .gguf, dtype: .fixed(.f32)))
            let problems = GGUFFileGolden.tensorMismatches(try GoldenTensor.records(of: try GGUFFile.read(path: path)), expected: golden.f32Input)
            #expect(problems.isEmpty, "\(fixture): \(problems)")
        }
    }

    /// The trained slice, safetensors → every file type in one step, equals llama-quantize's file.
    /// (Debug build: 62 s of CPU for the 16 cases, measured under load; the K-quant encoders'
    /// scale searches dominate.)
    @Test(arguments: LlamaFileType.withoutImatrix)
    func sliceEqualsLlamaQuantize(fileType: LlamaFileType) throws {
        let golden = try GGUFFileGolden.named(TrainedSlice.name)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let quant = try #require(QuantScheme(rawValue: fileType.rawValue))
        let path = try Self.convert(try TrainedSlice.write(in: directory), into: directory, file: "out.gguf", quant: quant)
        let problems = try Self.mismatches(path, fileType: fileType.rawValue, golden: golden)
        #expect(problems.isEmpty, "\(fileType): \(problems)")
    }

    /// GGUF → GGUF with `mpt-convert F32.gguf OUT.gguf --quant TYPE` (llama-quantize's own
    /// workflow) from an F32 GGUF this test writes equals llama-quantize's file: the full fixture
    /// for Q8_0, the slice for three K/IQ mixes.
    @Test(arguments: [(Self.fixture, LlamaFileType.q8_0), (TrainedSlice.name, .q4_k_m), (TrainedSlice.name, .q2_k),
                      (TrainedSlice.name, .iq4_xs)])
    func ggufConversionEqualsLlamaQuantize(fixture: String, fileType: LlamaFileType) throws {
        let golden = try GGUFFileGolden.named(fixture)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = fixture == Self.fixture ? TestPaths.model(fixture) : try TrainedSlice.write(in: directory)
        let f32 = try GGUFExportSupport.convert(model, into: directory, file: "f32.gguf",
                                                options: try OutputPlan(format: .gguf, dtype: .fixed(.f32)))
        let output = directory + "/out.gguf"
        let run = try ChildRun.tool("mpt-convert", [f32, output, "--quant", fileType.rawValue], timeLimit: 300)
        #expect(run.exitStatus == 0, "\(run.standardError)")
        let problems = try Self.mismatches(output, fileType: fileType.rawValue, golden: golden)
        #expect(problems.isEmpty, "\(fixture) \(fileType): \(problems)")
    }

    /// The full trained fixture, bf16 safetensors → Q8_0 in one step, equals llama-quantize's
    /// file (each other type of the full fixture costs 20–40 s of CPU in a debug build; the slice
    /// covers them here, and Fixtures/scripts/gguf_file_logits.py checks all 16 of the full
    /// fixture with a release build). The comparison bites: one flipped byte, a dropped tensor, a
    /// file of another mix and a changed metadata value are each reported; another
    /// `general.name` is not.
    @Test func fullFixtureEqualsLlamaQuantizeAndBrokenCopiesDoNot() throws {
        let golden = try GGUFFileGolden.named(Self.fixture)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try Self.convert(TestPaths.model(Self.fixture), into: directory, file: "q8.gguf", quant: .q8_0)
        let problems = try Self.mismatches(path, fileType: "q8_0", golden: golden)
        #expect(problems.isEmpty, "\(problems)")

        let file = try GGUFFile.read(path: path)
        let target = try #require(file.tensor(named: "blk.1.ffn_down.weight"))
        var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[file.byteRange(of: target).lowerBound + 1000] ^= 0x01
        let flipped = directory + "/flipped.gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: flipped))
        let flippedProblems = try Self.mismatches(flipped, fileType: "q8_0", golden: golden)
        #expect(flippedProblems.count == 1 && flippedProblems[0].contains("blk.1.ffn_down.weight"), "\(flippedProblems)")

        let records = try GoldenTensor.records(of: file)
        let expected = try #require(golden.fileTypes["q8_0"]).tensors
        let dropped = GGUFFileGolden.tensorMismatches(Array(records.dropLast()), expected: expected)
        #expect(dropped.count == 2 && dropped[0] == "13 tensors, golden has 14" && dropped[1].hasPrefix("missing tensor"), "\(dropped)")

        // Another mix: the Q8_0 file judged against Q4_0's golden (its 8 block weights and the
        // Q6_K head differ in type).
        let wrongMix = GGUFFileGolden.tensorMismatches(records, expected: try #require(golden.fileTypes["q4_0"]).tensors)
        #expect(wrongMix.count == 9, "\(wrongMix)")
        #expect(!golden.metadataMismatches(file, fileTypeNumber: 2).isEmpty)

        var renamed = golden
        renamed.metadata["general.name"] = .object([("type", .string("string")), ("value", .string("something else"))])
        #expect(renamed.metadataMismatches(file, fileTypeNumber: 7).isEmpty)
        var changed = golden
        changed.metadata["mpt.attention.max_alibi_bias"] = .object([("type", .string("float32")), ("value", .double(4))])
        let metadataProblems = changed.metadataMismatches(file, fileTypeNumber: 7)
        #expect(metadataProblems.count == 1 && metadataProblems[0].hasPrefix("mpt.attention.max_alibi_bias"), "\(metadataProblems)")
        changed.metadata["tokenizer.ggml.merges"] = .object([("type", .string("array")), ("element_type", .string("string")),
                                                             ("count", .int(7935)), ("sha256", .string(String(repeating: "0", count: 64)))])
        #expect(changed.metadataMismatches(file, fileTypeNumber: 7).count == 2)
    }

    /// The SHA-256 helper agrees with FIPS 180-4's examples (and so with hashlib's goldens).
    @Test func sha256KnownAnswers() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }
}
