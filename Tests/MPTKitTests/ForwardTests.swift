import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTReference
import Testing

/// Fixture helpers for the forward tests. The safetensors parse here is a throwaway for tests
/// (the library's reader lives in MPTFormats); fixtures are the lead's, made by HF.
private enum ForwardFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func directory(_ name: String) -> URL { root.appendingPathComponent("models").appendingPathComponent(name) }

    static func collection(_ name: String) throws -> TensorCollection {
        let path = directory(name).appendingPathComponent("model.safetensors").path
        let storage = try ByteStorage(mappingFileAt: path)
        var cursor = try ByteCursor(storage)
        let headerLength = Int(try cursor.readUInt64LE())
        let headerBytes = try cursor.readBytes(headerLength)
        let header = try #require(try JSONSerialization.jsonObject(with: Data(headerBytes)) as? [String: Any])
        var collection = TensorCollection(origin: path)
        for (name, entry) in header.sorted(by: { $0.key < $1.key }) where name != "__metadata__" {
            let info = try #require(entry as? [String: Any])
            let dtypeName = try #require(info["dtype"] as? String)
            let dtype = try #require(DType(safetensorsName: dtypeName))
            let shape = try #require(info["shape"] as? [Int])
            let offsets = try #require(info["data_offsets"] as? [Int])
            try collection.add(
                name,
                TensorView(storage: storage, dtype: dtype, shape: Shape(checking: shape), byteOffset: 8 + headerLength + offsets[0]))
        }
        return collection
    }

    static func config(_ name: String) throws -> MPTConfig {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("config.json"))
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let attention = json["attn_config"] as? [String: Any] ?? [:]
        let d = try #require(json["d_model"] as? Int)
        return MPTConfig(
            dModel: d, nHeads: try #require(json["n_heads"] as? Int), nLayers: try #require(json["n_layers"] as? Int),
            ffnHiddenSize: d * (json["expansion_ratio"] as? Int ?? 4), maxSeqLen: json["max_seq_len"] as? Int ?? 2048,
            vocabSize: try #require(json["vocab_size"] as? Int), layerNormEpsilon: json["layer_norm_epsilon"] as? Double ?? 1e-5,
            noBias: json["no_bias"] as? Bool ?? true, alibi: attention["alibi"] as? Bool ?? true,
            alibiBiasMax: attention["alibi_bias_max"] as? Double ?? 8, clipQKV: attention["clip_qkv"] as? Double,
            softmaxScale: attention["softmax_scale"] as? Double, qkLayerNorm: attention["qk_ln"] as? Bool ?? false,
            logitScale: json["logit_scale"] as? Double, learnedPositionEmbedding: false, tiedEmbeddings: true)
    }

    static func tokens(_ name: String) throws -> [Int] {
        let data = try Data(contentsOf: directory(name).appendingPathComponent("reference/tokens.json"))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [Int])
    }

    static func reference(_ name: String) throws -> NpyArray {
        try NpyArray(contentsOf: directory(name).appendingPathComponent("reference/logits_f64.npy").path)
    }
}

@Suite("Forward")
struct ForwardTests {
    /// Our Float forward vs HF `MptForCausalLM` run in float64 (patched as the fixture README
    /// says; `-bias-qkln` from the generator's float64 numpy MPT): relative L2 ≤ 1e-5.
    @Test(arguments: ["mpt-4h-f32", "mpt-6h-clip-bf16", "mpt-4h-bias-qkln-f32", "mpt-trained-d256"])
    func floatForwardMatchesHuggingFace(model: String) throws {
        let config = try ForwardFixture.config(model)
        let forward = try MPTForward(config: config, weights: CollectionWeightProvider(collection: try ForwardFixture.collection(model)))
        let tokens = try ForwardFixture.tokens(model)
        let reference = try ForwardFixture.reference(model)
        #expect(reference.shape == [tokens.count, config.vocabSize])
        let logits = try forward.logits(tokens: tokens)
        let report = try ParityMetrics.compare(
            reference: reference.values, candidate: logits.map(Double.init), vocab: config.vocabSize, tokens: tokens)
        #expect(report.relativeL2 <= 1e-5, "\(model): \(report)")
        #expect(report.top1Agreement == 1)
    }

    /// The Double path is an exact reference: relative L2 ≤ 1e-12 against HF float64.
    @Test(arguments: ["mpt-4h-f32", "mpt-6h-clip-bf16", "mpt-4h-bias-qkln-f32", "mpt-trained-d256"])
    func doubleForwardMatchesHuggingFace(model: String) throws {
        let config = try ForwardFixture.config(model)
        let forward = try MPTForward(config: config, weights: CollectionWeightProvider(collection: try ForwardFixture.collection(model)))
        let tokens = try ForwardFixture.tokens(model)
        let logits = try forward.logitsDouble(tokens: tokens)
        let report = try ParityMetrics.compare(
            reference: try ForwardFixture.reference(model).values, candidate: logits, vocab: config.vocabSize)
        #expect(report.relativeL2 <= 1e-12, "\(model): \(report)")
    }

    @Test func rejectsBadTokensAndWeights() throws {
        let model = "mpt-4h-f32"
        let config = try ForwardFixture.config(model)
        let forward = try MPTForward(config: config, weights: CollectionWeightProvider(collection: try ForwardFixture.collection(model)))
        #expect(throws: ReferenceError.tokenOutOfRange(position: 1, token: 320, vocabSize: 320)) {
            _ = try forward.logits(tokens: [0, 320])
        }
        #expect(throws: ReferenceError.self) { _ = try forward.logits(tokens: []) }
        var wrong = config
        wrong.dModel = 32
        let mismatched = try MPTForward(config: wrong, weights: CollectionWeightProvider(collection: try ForwardFixture.collection(model)))
        #expect(throws: ReferenceError.self) { _ = try mismatched.logits(tokens: [0, 1]) }
        wrong.nHeads = 5
        #expect(throws: ReferenceError.self) { _ = try MPTForward(config: wrong, weights: CollectionWeightProvider(collection: TensorCollection(origin: "x"))) }
    }
}
