import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant
import Testing

/// `mpt-convert --quant TYPE --imatrix FILE` against `llama-quantize --imatrix FILE` on the
/// trained fixture (goldens: Fixtures/scripts/imatrix_quant_goldens.py, per-tensor type and
/// SHA-256 of llama-quantize's output from the F32 GGUF of the same weights).
@Suite struct ImatrixConvertTests {
    static let imatrix = TestPaths.fixture("goldens/imatrix/trained.imatrix.gguf")

    static func golden(_ fileType: String) throws -> [String: (type: String, sha256: String)] {
        let object = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture("goldens/imatrix/quantized.json"))))
        let types = try #require((object as? [String: Any])?["file_types"] as? [String: Any])
        let tensors = try #require(types[fileType] as? [String: [String: String]])
        return try tensors.mapValues { (try #require($0["type"]), try #require($0["sha256"])) }
    }

    static func convert(_ fileType: String, imatrix: String?, to path: String) throws -> [GGUFExport.PlannedTensor] {
        let model = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model("mpt-trained-d256")))
        let plan = try OutputPlan(format: .gguf, quant: try #require(QuantScheme(rawValue: fileType)), durability: .unsynced,
                                  imatrix: imatrix)
        return try GGUFExport.write(model: model, to: path, plan: plan).tensors
    }

    static func hashes(_ path: String) throws -> [String: (type: String, sha256: String)] {
        let file = try GGUFFile.read(path: path)
        var result: [String: (type: String, sha256: String)] = [:]
        for info in file.tensors {
            result[info.name] = (info.type.description, try file.withBytes(of: info) { SHA256.hex($0) })
        }
        return result
    }

    /// One whole conversion (debug builds quantize the 2M-value token embedding slowly): every
    /// tensor's type and bytes, the weighted tensors, and llama-quantize's imatrix metadata.
    @Test func q4KMFileEqualsLlamaQuantize() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.gguf"
        let planned = try Self.convert("q4_k_m", imatrix: Self.imatrix, to: path)
        let expected = try Self.golden("q4_k_m")
        let produced = try Self.hashes(path)
        #expect(Set(produced.keys) == Set(expected.keys))
        for (name, want) in expected {
            #expect(produced[name]?.type == want.type, "q4_k_m \(name) type")
            #expect(produced[name]?.sha256 == want.sha256, "q4_k_m \(name) bytes")
        }
        // The eight block weights have imatrix entries; token_embd (the tied head) does not.
        #expect(planned.filter(\.weighted).map(\.name).sorted() == Self.weightedNames)
        let file = try GGUFFile.read(path: path)
        #expect(file["quantize.imatrix.file"]?.stringValue == Self.imatrix)
        #expect(file["quantize.imatrix.dataset"]?.stringValue == "Fixtures/models/mpt-trained-d256/heldout.txt")
        #expect(file["quantize.imatrix.entries_count"] == .uint32(8))
        #expect(file["quantize.imatrix.chunks_count"] == .uint32(4))
    }

    static let weightedNames = (0..<2).flatMap { l in
        ["attn_output", "attn_qkv", "ffn_down", "ffn_up"].map { "blk.\(l).\($0).weight" }
    }.sorted()

    /// Tensors whose bytes are checked for a file type: all weighted ones, except for the IQ3
    /// types (a scalar search, about 15 ms a block in a debug build), where layer 0's attn_qkv
    /// and attn_output carry both IQ3 types (the whole files are checked by
    /// imatrix_quant_goldens.py --check).
    static func checkedBytes(_ fileType: String) -> [String] {
        fileType.hasPrefix("iq3") ? ["blk.0.attn_output.weight", "blk.0.attn_qkv.weight"] : weightedNames
    }

    /// The weighted tensors of Q2_K, IQ4_XS, IQ3_XXS and IQ3_S files (types as the exporter
    /// plans them, bytes as its quantizer writes them with the importance `GGUFImportance`
    /// matches), and of a Q4_K_M file quantized without the importance, which must differ.
    @Test(arguments: ["q2_k", "iq4_xs", "iq3_xxs", "iq3_s", "q4_k_m (no imatrix)"])
    func weightedTensorsEqualLlamaQuantize(fileType: String) throws {
        let weighted = !fileType.hasSuffix("(no imatrix)")
        let quantName = String(fileType.prefix { $0 != " " })
        let model = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model("mpt-trained-d256")))
        let plan = try OutputPlan(format: .gguf, quant: try #require(QuantScheme(rawValue: quantName)), imatrix: Self.imatrix)
        let planned = try GGUFExport.tensors(model: model, plan: plan)
        let importance = try GGUFImportance(path: Self.imatrix, tensors: planned)
        let expected = try Self.golden(quantName)
        #expect(planned.count == expected.count)
        for item in planned {
            #expect(item.type.description == expected[item.name]?.type, "\(fileType) \(item.name) type")
        }
        for item in planned where Self.checkedBytes(quantName).contains(item.name) {
            let view = try Dequantizer.decodedView(try model.source(item.tensor), name: item.name)
            var values = [Float](repeating: 0, count: view.shape.elementCount)
            try values.withUnsafeMutableBufferPointer { try view.copyFloats(into: $0) }
            let columns = try #require(importance.importance(for: item.name, type: item.type))
            let rowLength = try #require(item.shape.last)
            var bytes = [UInt8](repeating: 0, count: try GGMLQuantizer.byteCount(elementCount: values.count, as: item.type))
            try values.withUnsafeBufferPointer { source in
                try bytes.withUnsafeMutableBytes { target in
                    if weighted {
                        try columns.withUnsafeBufferPointer {
                            try GGMLQuantizer.quantizeRows(source, rowLength: rowLength, as: item.type, importance: $0, into: target)
                        }
                    } else {
                        try GGMLQuantizer.quantizeRows(source, rowLength: rowLength, as: item.type, into: target)
                    }
                }
            }
            let digest = bytes.withUnsafeBytes { SHA256.hex($0) }
            if weighted {
                #expect(digest == expected[item.name]?.sha256, "\(fileType) \(item.name) bytes")
            } else {
                #expect(digest != expected[item.name]?.sha256, "\(fileType) \(item.name) bytes")
            }
        }
    }

    @Test func sha256KnownAnswers() {
        #expect(Array("abc".utf8).withUnsafeBytes { SHA256.hex($0) }
            == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect([UInt8]().withUnsafeBytes { SHA256.hex($0) }
            == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let long = Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)
        #expect(long.withUnsafeBytes { SHA256.hex($0) } == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    // MARK: Bad input

    static func runConvert(imatrix: String, quant: String = "q4_k_m") throws -> ChildRun {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        return try ChildRun.tool("mpt-convert", [TestPaths.model("mpt-trained-d256"), directory + "/o.gguf", "--quant", quant, "--imatrix", imatrix])
    }

    /// An imatrix of another model: names and sizes that do not fit are one line naming the
    /// file and the tensor, exit 2.
    @Test func aForeignImatrixIsExitTwoNamingTheTensor() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let golden = try ImatrixFile.read(path: Self.imatrix)
        var renamed = golden
        renamed.entries[0].name = "blk.7.attn_qkv.weight"
        let unknown = directory + "/unknown.gguf"
        try renamed.writeGGUF(to: unknown)
        let first = try Self.runConvert(imatrix: unknown)
        #expect(first.exitStatus == 2)
        #expect(first.standardError.contains("\(unknown): imatrix entry 'blk.7.attn_qkv.weight' names no weight of the model"))
        var resized = golden
        resized.entries[1].sums.removeLast(128)
        let short = directory + "/short.gguf"
        try resized.writeGGUF(to: short)
        let second = try Self.runConvert(imatrix: short)
        #expect(second.exitStatus == 2)
        #expect(second.standardError.contains("\(short): imatrix entry '\(golden.entries[1].name)' has 128 values, the model's tensor has 256 columns"))
        let truncated = directory + "/truncated.gguf"
        let bytes = try Data(contentsOf: URL(fileURLWithPath: Self.imatrix))
        try bytes.prefix(bytes.count / 2).write(to: URL(fileURLWithPath: truncated))
        let third = try Self.runConvert(imatrix: truncated)
        #expect(third.exitStatus == 2)
        #expect(third.standardError.contains(truncated + ":"))
        #expect(third.standardError.split(separator: "\n").count == 1)
    }

    /// IQ3_XXS needs an importance matrix, as in llama-quantize: none is a usage error (64), and
    /// an imatrix without an entry for an IQ3_XXS tensor is exit 2 naming the tensor.
    @Test func iq3XXSWithoutImportanceIsRefused() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let none = try ChildRun.tool("mpt-convert", [TestPaths.model("mpt-trained-d256"), directory + "/o.gguf", "--quant", "iq3_xxs"])
        #expect(none.exitStatus == 64)
        #expect(none.standardError.contains("--quant iq3_xxs needs --imatrix FILE"), "\(none.standardError)")
        var partial = try ImatrixFile.read(path: Self.imatrix)
        partial.entries.removeAll { $0.name == "blk.0.attn_qkv.weight" }
        let path = directory + "/partial.gguf"
        try partial.writeGGUF(to: path)
        let missing = try Self.runConvert(imatrix: path, quant: "iq3_xxs")
        #expect(missing.exitStatus == 2)
        #expect(missing.standardError.contains("no entry for tensor 'blk.0.attn_qkv.weight', which takes IQ3_XXS"), "\(missing.standardError)")
        #expect(missing.standardError.split(separator: "\n").count == 1)
        #expect(!FileManager.default.fileExists(atPath: directory + "/o.gguf"))
    }

    @Test func anImatrixWithoutAQuantizedGGUFIsAUsageError() throws {
        let run = try Self.runConvert(imatrix: Self.imatrix, quant: "none")
        #expect(run.exitStatus == 64)
        #expect(run.standardError.contains("--imatrix applies to GGUF output with --quant one of"))
    }
}
