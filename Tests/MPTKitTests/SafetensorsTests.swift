import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats

@Suite struct SafetensorsReaderTests {
    @Test func readsTheValidControlFile() throws {
        let collection = try SafetensorsFile.read(path: TestPaths.fixture("hostile/safetensors/valid.safetensors"))
        #expect(collection.names == ["a"])
        #expect(try collection["a"]?.floats() == [1, 2, 3, 4])
    }

    /// Each hostile file is rejected with an error that names the file and the rule it breaks.
    @Test(arguments: [
        ("empty", "too small"),
        ("truncated_8_bytes", "runs past the end"),
        ("header_len_past_eof", "runs past the end"),
        ("header_len_2pow63", "exceeds the 100000000-byte limit"),
        ("header_len_u64max", "exceeds the 100000000-byte limit"),
        ("header_len_over_100mb", "exceeds the 100000000-byte limit"),
        ("header_not_utf8", "not valid UTF-8"),
        ("header_json_array", "must be a JSON object"),
        ("unknown_dtype", "unknown dtype 'Q7_K'"),
        ("negative_shape", "negative dimension"),
        ("numel_overflow", "overflows"),
        ("offsets_reversed", "end before start"),
        ("offsets_overlap", "expected 16"),
        ("offsets_gap", "expected 16"),
        ("offsets_not_from_zero", "expected 0"),
        ("trailing_bytes", "trailing data"),
        ("size_mismatch", "need 16"),
        ("metadata_non_string", "must be a string"),
        ("duplicate_keys", "duplicate JSON key 'a'"),
    ])
    func rejectsHostileFile(name: String, message: String) throws {
        let path = TestPaths.fixture("hostile/safetensors/\(name).safetensors")
        do {
            _ = try SafetensorsFile.read(path: path)
            Issue.record("\(name) was accepted")
        } catch {
            let text = String(describing: error)
            #expect(text.hasPrefix(path + ": "), "error should name the file: \(text)")
            #expect(text.contains(message), "\(name): \(text)")
            #expect(!text.contains("\n"))
        }
    }

    @Test func loadsShardedFixtureThroughIndex() throws {
        let checkpoint = try CheckpointLoader.open(TestPaths.model("mpt-4h-f16-sharded"))
        #expect(checkpoint.format == .safetensors)
        #expect(checkpoint.files.count == 5)
        #expect(checkpoint.tensors["transformer.wte.weight"]?.dtype == .f16)
        #expect(checkpoint.tensors.count == 3 * 6 + 2)
    }

    @Test func rejectsIndexPointingOutsideTheDirectory() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try #"{"weight_map": {"a": "../secret.safetensors"}}"#.write(toFile: directory + "/model.safetensors.index.json", atomically: true, encoding: .utf8)
        #expect(throws: FileError.self) { try CheckpointLoader.open(directory) }
    }
}

@Suite struct SafetensorsWriterTests {
    private func sampleTensors() throws -> [OutputTensor] {
        let floats: [Float] = (0..<12).map { Float($0) * 0.5 - 2 }
        let halves: [UInt16] = (0..<6).map { UInt16($0) &* 0x1111 }
        return [
            OutputTensor(name: "z.f32", dtype: .f32, shape: try Shape(3, 4)) { try $0.write(floats) },
            OutputTensor(name: "a.bf16", dtype: .bf16, shape: try Shape(6)) { try $0.write(halves) },
            OutputTensor(name: "m.u8", dtype: .u8, shape: try Shape(3)) { try $0.write([UInt8]([7, 8, 9])) },
            OutputTensor(name: "empty", dtype: .f32, shape: try Shape(0, 4)) { _ in },
        ]
    }

    @Test func roundTripsThroughOurReader() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.safetensors"
        try SafetensorsWriter.writeFile(path: path, tensors: try sampleTensors(), metadata: ["format": "pt"])
        let back = try SafetensorsFile.read(path: path)
        // Larger elements first, then by name (the reference crate's order).
        #expect(back.names == ["empty", "z.f32", "a.bf16", "m.u8"])
        #expect(back.metadata == ["format": "pt"])
        #expect(try back["z.f32"]?.floats() == (0..<12).map { Float($0) * 0.5 - 2 })
        #expect(try back["m.u8"]?.contiguousBytes() == [7, 8, 9])
        #expect(back["empty"]?.shape.dims == [0, 4])
        // Header is padded with spaces to a multiple of 8.
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << ($1.offset * 8) }
        #expect(headerLength % 8 == 0)
        #expect(bytes[8 + headerLength - 1] == UInt8(ascii: " ") || bytes[8 + headerLength - 1] == UInt8(ascii: "}"))
        // No temporary file left behind.
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.safetensors"])
    }

    @Test func refusesToOverwriteAndCleansUpOnFailure() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.safetensors"
        try SafetensorsWriter.writeFile(path: path, tensors: try sampleTensors())
        #expect(throws: FileError.self) { try SafetensorsWriter.writeFile(path: path, tensors: try sampleTensors()) }
        let short = OutputTensor(name: "x", dtype: .f32, shape: try Shape(4)) { try $0.write([Float(1)]) }
        #expect(throws: FileError.self) { try SafetensorsWriter.writeFile(path: directory + "/bad.safetensors", tensors: [short]) }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.safetensors"])
    }

    @Test func shardsLikeSavePretrained() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let written = try SafetensorsWriter.writeModel(directory: directory, tensors: try sampleTensors(), shardSize: 50)
        #expect(written == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"])
        let checkpoint = try CheckpointLoader.open(directory)
        #expect(Set(checkpoint.tensors.names) == ["z.f32", "a.bf16", "m.u8", "empty"])
        #expect(try checkpoint.tensors["a.bf16"]?.contiguousBytes().count == 12)
    }

    /// Re-writing a fixture reproduces every tensor byte for byte.
    @Test func rewritesFixtureIdentically() throws {
        let source = try SafetensorsFile.read(path: TestPaths.model("mpt-6h-clip-bf16") + "/model.safetensors")
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let tensors = source.names.compactMap { name in source[name].map { OutputTensor.copying($0, as: name) } }
        try SafetensorsWriter.writeFile(path: directory + "/copy.safetensors", tensors: tensors)
        let copy = try SafetensorsFile.read(path: directory + "/copy.safetensors")
        #expect(Set(copy.names) == Set(source.names))
        for name in source.names {
            #expect(try copy[name]?.contiguousBytes() == source[name]?.contiguousBytes(), "\(name)")
        }
    }
}

@Suite struct InspectToolTests {
    @Test func badFileExitsWithStatusTwoAndOneLine() throws {
        let path = TestPaths.fixture("hostile/safetensors/offsets_overlap.safetensors")
        let run = try runTool("mpt-inspect", [path])
        #expect(run.status == 2)
        #expect(run.standardOutput.isEmpty)
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(run.standardError.contains(path))
    }

    @Test func printsTheTensorTableOfAFixture() throws {
        let run = try runTool("mpt-inspect", [TestPaths.model("mpt-6h-clip-bf16")])
        #expect(run.status == 0)
        #expect(run.standardOutput.contains("n_heads 6"))
        #expect(run.standardOutput.contains("clip_qkv 0.75"))
        let row = run.standardOutput.split(separator: "\n").first { $0.hasPrefix("transformer.blocks.2.attn.Wqkv.weight ") }
        #expect(row?.split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") == "transformer.blocks.2.attn.Wqkv.weight BF16 [288, 96] 55296")
        #expect(run.standardOutput.contains("total: 20 tensors, 363168 parameters, 726336 bytes"))
    }

    @Test func printsJSON() throws {
        let run = try runTool("mpt-inspect", ["--json", TestPaths.model("mpt-4h-f32-composer")])
        #expect(run.status == 0)
        let json = try JSONParser.parse(run.standardOutput)
        #expect(json["naming_scheme"]?.stringValue == "mpt with 'model.' prefix (Composer)")
        #expect(json["config"]?["d_model"]?.intValue == 64)
        #expect(json["tensors"]?.arrayValue?.count == 14)
    }
}
