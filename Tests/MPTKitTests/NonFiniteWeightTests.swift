import Foundation
import MPTFormats
import MPTGraph
@testable import MPTReference
import Testing

/// A model whose weights hold NaN or ±infinity is bad input: `mpt-verify MODEL` (and a
/// comparison, and generation) exits 2 naming the first non-finite tensor instead of writing
/// NaN logits and passing.
@Suite("Non-finite weights")
struct NonFiniteWeightTests {
    /// Copies `fixture` (config.json + model.safetensors) into `root/model` and overwrites, in
    /// place, element `element` of each named tensor with the given bit pattern (little-endian,
    /// the tensor's own width).
    static func poisonedCopy(of fixture: String, in root: String, _ poison: [(tensor: String, element: Int, bits: UInt32)]) throws -> String {
        let model = root + "/model"
        try FileManager.default.createDirectory(atPath: model, withIntermediateDirectories: false)
        try FileManager.default.copyItem(atPath: TestPaths.model(fixture) + "/config.json", toPath: model + "/config.json")
        var bytes = ChildRun.readWhole(TestPaths.model(fixture) + "/model.safetensors")
        let headerLength = (0..<8).reduce(0) { $0 | Int(bytes[$1]) << (8 * $1) }
        let header = try JSONParser.parse(Array(bytes[8..<(8 + headerLength)]))
        for (tensor, element, bits) in poison {
            let entry = try #require(header[tensor], "\(tensor) not in \(fixture)")
            let width = entry["dtype"]?.stringValue == "F32" ? 4 : 2
            let start = try #require(entry["data_offsets"]?.arrayValue?.first?.intValue)
            let offset = 8 + headerLength + start + element * width
            for byte in 0..<width { bytes[offset + byte] = UInt8(truncatingIfNeeded: bits >> (8 * UInt32(byte))) }
        }
        try Data(bytes).write(to: URL(fileURLWithPath: model + "/model.safetensors"))
        return model
    }

    static let nanF32: UInt32 = 0x7FC0_0000
    static let infinityF32: UInt32 = 0x7F80_0000

    func expectNamedRejection(_ run: ChildRun, path: String, tensor: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.signal == 0, "\(run.tool): signal \(run.signal)", sourceLocation: sourceLocation)
        #expect(run.exitStatus == 2, "\(run.tool): exit \(run.exitStatus): \(run.standardError)", sourceLocation: sourceLocation)
        let lines = run.standardError.split(separator: "\n")
        #expect(lines.count == 1, "\(run.tool): \(run.standardError)", sourceLocation: sourceLocation)
        #expect(run.standardError.contains(path), "\(run.standardError)", sourceLocation: sourceLocation)
        #expect(run.standardError.contains("tensor \(tensor) holds a non-finite weight"), "\(run.standardError)", sourceLocation: sourceLocation)
    }

    @Test(arguments: ["f32", "f64"])
    func verifyAloneNamesTheFirstNonFiniteTensor(precision: String) throws {
        let root = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Wqkv of block 0 is read before down_proj of block 1: it is the one named.
        let model = try Self.poisonedCopy(of: "mpt-4h-f32", in: root, [
            ("transformer.blocks.1.ffn.down_proj.weight", 7, Self.infinityF32),
            ("transformer.blocks.0.attn.Wqkv.weight", 100, Self.nanF32),
        ])
        let run = try ChildRun.tool("mpt-verify", [model, "--precision", precision, "--dump-logits", root + "/logits.npy"])
        expectNamedRejection(run, path: model, tensor: "transformer.blocks.0.attn.Wqkv.weight")
        #expect(!run.standardError.contains("down_proj"))
        #expect(!FileManager.default.fileExists(atPath: root + "/logits.npy"), "NaN logits were written")
    }

    /// The unpoisoned copy passes, so the rejection above is about the NaN.
    @Test func theSameCopyWithoutPoisonPasses() throws {
        let root = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let model = try Self.poisonedCopy(of: "mpt-4h-f32", in: root, [])
        let run = try ChildRun.tool("mpt-verify", [model])
        #expect(run.exitStatus == 0, "\(run.standardError)")
    }

    @Test func infinityInABF16EmbeddingIsNamed() throws {
        let root = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let model = try Self.poisonedCopy(of: "mpt-6h-clip-bf16", in: root, [("transformer.wte.weight", 3, 0xFF80)])
        expectNamedRejection(try ChildRun.tool("mpt-verify", [model]), path: model, tensor: "transformer.wte.weight")
    }

    @Test func comparisonAndGenerationRejectAPoisonedCandidate() throws {
        let root = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let tensor = "transformer.norm_f.weight"
        let model = try Self.poisonedCopy(of: "mpt-4h-f32", in: root, [(tensor, 0, Self.nanF32)])
        expectNamedRejection(try ChildRun.tool("mpt-verify", [TestPaths.model("mpt-4h-f32"), model]), path: model, tensor: tensor)
        expectNamedRejection(try ChildRun.tool("mpt-generate", [model, "--tokens", "1,2,3", "--max-tokens", "2"]), path: model, tensor: tensor)
    }

    @Test func scanFindsTheFirstNonFiniteElement() throws {
        let tensor = CanonicalTensor.finalNorm(.weight)
        try NonFiniteWeight.check([0, -0.0, .greatestFiniteMagnitude, -.leastNonzeroMagnitude], tensor: tensor)
        try NonFiniteWeight.check([], tensor: tensor)
        #expect(throws: NonFiniteWeight(tensor: tensor.name, element: 2, value: "nan")) {
            try NonFiniteWeight.check([1, 2, .nan, .infinity], tensor: tensor)
        }
        #expect(throws: NonFiniteWeight(tensor: tensor.name, element: 0, value: "-inf")) {
            try NonFiniteWeight.check([-.infinity], tensor: tensor)
        }
        #expect(throws: NonFiniteWeight(tensor: tensor.name, element: 1, value: "inf")) {
            try NonFiniteWeight.check([1, .infinity], tensor: tensor)
        }
    }
}
