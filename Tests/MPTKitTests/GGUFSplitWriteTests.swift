import Foundation
import Testing
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// `mpt-convert … .gguf --shard-size N`: parts laid out as `llama-gguf-split --split-max-size`
/// lays them out, byte for byte (golden: Fixtures/scripts/gguf_split_goldens.sh, llama-gguf-split
/// `--split-max-size 3M` of our single Q8_0 file of the trained fixture).
@Suite struct GGUFSplitWriteTests {
    private struct Golden {
        let sourceSHA256: String
        let parts: [(name: String, bytes: Int, sha256: String, tensors: [String])]
    }

    private func golden() throws -> Golden {
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("goldens/gguf_split/trained-q8_0-3M.json")))))
        let parts = try #require(json["parts"]?.arrayValue).map { part in
            (name: try #require(part["name"]?.stringValue), bytes: try #require(part["bytes"]?.intValue),
             sha256: try #require(part["sha256"]?.stringValue),
             tensors: try #require(part["tensors"]?.arrayValue).compactMap(\.stringValue))
        }
        return Golden(sourceSHA256: try #require(json["source_sha256"]?.stringValue), parts: parts)
    }

    private func sha256(_ path: String) throws -> String {
        SHA256.hex(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    @Test func partsEqualLlamaGGUFSplitByteForByte() throws {
        let expected = try golden()
        #expect(expected.parts.count == 2)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = TestPaths.model("mpt-trained-d256")
        // The golden split llama-gguf-split made of this very single file.
        let single = try runTool("mpt-convert", [model, directory + "/single.gguf", "--quant", "q8_0"])
        #expect(single.status == 0, "\(single.standardError)")
        #expect(try sha256(directory + "/single.gguf") == expected.sourceSHA256, "the single file changed: rerun gguf_split_goldens.sh")

        let split = try runTool("mpt-convert", [model, directory + "/t.gguf", "--quant", "q8_0", "--shard-size", "3MB"])
        #expect(split.status == 0, "\(split.standardError)")
        #expect(split.standardOutput.contains("split into 2 parts: t-00001-of-00002.gguf, t-00002-of-00002.gguf"), "\(split.standardOutput)")
        #expect(!FileManager.default.fileExists(atPath: directory + "/t.gguf"))
        for part in expected.parts {
            let path = directory + "/" + part.name
            let file = try GGUFFile.read(path: path)
            #expect(file.tensors.map(\.name) == part.tensors, "\(part.name)")
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == part.bytes, "\(part.name)")
            #expect(try sha256(path) == part.sha256, "\(part.name)")
        }

        // Read back from its second part: the same graph as the single file.
        let whole = try MPTModel(checkpoint: try CheckpointLoader.open(directory + "/single.gguf"))
        let parts = try MPTModel(checkpoint: try CheckpointLoader.open(directory + "/t-00002-of-00002.gguf"))
        #expect(parts.config == whole.config && parts.orderedTensors.count == 14)
        for tensor in whole.orderedTensors {
            #expect(try whole.source(tensor).contiguousBytesForTest() == parts.source(tensor).contiguousBytesForTest(), "\(tensor)")
        }
    }

    @Test func layoutClosesAPartBeforeTheTensorThatWouldOverflowIt() {
        // Sizes padded to 32 bytes: 40 → 64, 10 → 32.
        #expect(GGUFSplitLayout.parts(byteCounts: [40, 10, 10, 64, 10], maxBytes: 128) == [0..<3, 3..<5])
        // A tensor larger than the limit gets a part of its own (llama-gguf-split refuses).
        #expect(GGUFSplitLayout.parts(byteCounts: [500, 10, 500], maxBytes: 100) == [0..<1, 1..<2, 2..<3])
        #expect(GGUFSplitLayout.parts(byteCounts: [10, 10], maxBytes: 1 << 20) == [0..<2])
        let keys = GGUFSplitLayout.splitMetadata(part: 1, of: 3, tensors: 14).map(\.key)
        #expect(keys == ["split.no", "split.tensors.count", "split.count"])
    }

    @Test func aFailingPartLeavesNoPartsBehind() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        // The second part's name is taken (and not --force): the first part, already written, goes too.
        let taken = directory + "/t-00002-of-00002.gguf"
        try Data("keep".utf8).write(to: URL(fileURLWithPath: taken))
        let run = try runTool("mpt-convert", [TestPaths.model("mpt-trained-d256"), directory + "/t.gguf", "--quant", "q8_0", "--shard-size", "3MB"])
        #expect(run.status != 0)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).sorted() == ["t-00002-of-00002.gguf"])
        #expect(try String(contentsOfFile: taken, encoding: .utf8) == "keep")
    }
}

extension TensorSource {
    /// The stored bytes of a dense or block-quantized source, for byte comparisons.
    fileprivate func contiguousBytesForTest() throws -> [UInt8] {
        switch self {
        case let .dense(view): return try view.contiguousBytes()
        case let .quantized(tensor): return try tensor.components["blocks"]?.contiguousBytes() ?? []
        case .merged: return []
        }
    }
}
