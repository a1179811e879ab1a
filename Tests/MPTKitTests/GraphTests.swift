import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph

@Suite struct ConfigNormalizationTests {
    private func normalize(_ text: String) throws -> (MPTConfig, ConfigFlavour) {
        let result = try MPTConfig.normalize(try JSONParser.parse(text))
        return (result.config, result.flavour)
    }

    @Test func readsEveryFixtureDialect() throws {
        let hf = try MPTConfig.normalize(try #require(try CheckpointLoader.readConfig(TestPaths.model("mpt-6h-clip-bf16") + "/config.json", required: true)))
        #expect(hf.flavour == .huggingFace)
        #expect(hf.config.clipQKV == 0.75)
        #expect(hf.config.softmaxScale == 0.3)
        #expect(hf.config.alibiBiasMax == 6)
        #expect(hf.config.nHeads == 6)
        let mosaic = try MPTConfig.normalize(try #require(try CheckpointLoader.readConfig(TestPaths.model("mpt-4h-bias-qkln-f32") + "/config.json", required: true)))
        #expect(mosaic.flavour == .mosaicMPT)
        #expect(mosaic.config.qkLayerNorm && !mosaic.config.noBias && mosaic.config.logitScale == 0.5)
        let gpt = try MPTConfig.normalize(try #require(try CheckpointLoader.readConfig(TestPaths.model("mpt-4h-f32-mosaicgpt") + "/config.json", required: true)))
        #expect(gpt.flavour == .mosaicGPT)
        #expect(gpt.config.ffnHiddenSize == 256 && gpt.config.alibi && !gpt.config.learnedPositionEmbedding)
    }

    @Test func resolvesLogitScaleAndPositions() throws {
        let (config, _) = try normalize(#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "logit_scale": "inv_sqrt_d_model", "attn_config": {"alibi": false}}"#)
        #expect(config.logitScale == 0.125)
        #expect(config.learnedPositionEmbedding)
        #expect(CanonicalTensor.all(for: config).contains(.positionEmbedding))
    }

    @Test(arguments: [
        (#"[1, 2]"#, "must be a JSON object"),
        (#"{"model_type": "llama", "d_model": 8}"#, "not an MPT model: model_type is 'llama'"),
        (#"{"model_type": "mpt", "n_heads": 4, "n_layers": 1, "vocab_size": 10}"#, "missing required key 'd_model'"),
        (#"{"model_type": "mpt", "d_model": "64", "n_heads": 4, "n_layers": 1, "vocab_size": 10}"#, "'d_model' must be an integer, found \"64\""),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 5, "n_layers": 1, "vocab_size": 10}"#, "(5) must divide d_model (64)"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": -1, "vocab_size": 10}"#, "must be positive"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "attn_config": {"rope": true}}"#, "attn_config.rope=true"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "attn_config": {"prefix_lm": true}}"#, "attn_config.prefix_lm=true"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "ffn_config": {"ffn_type": "mptglu"}}"#, "ffn_config.ffn_type=mptglu"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "attn_config": {"attn_type": "grouped_query_attention", "kv_n_heads": 2}}"#, "attn_type=grouped_query_attention"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "attn_config": "x"}"#, "'attn_config' must be an object"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "attn_config": {"clip_qkv": true}}"#, "'attn_config.clip_qkv' must be a number"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "logit_scale": "huge"}"#, "logit_scale=huge"),
        (#"{"model_type": "mpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "norm_type": "rmsnorm"}"#, "norm_type=rmsnorm"),
        (#"{"model_type": "mosaic_gpt", "d_model": 64, "n_heads": 4, "n_layers": 1, "vocab_size": 10, "prefix_lm": true}"#, "prefix_lm=true"),
    ])
    func rejectsBadConfig(text: String, message: String) {
        do {
            _ = try normalize(text)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(String(describing: error).contains(message), "\(error)")
        }
    }
}

@Suite struct ModelGraphTests {
    @Test(arguments: ["mpt-4h-f32", "mpt-6h-clip-bf16", "mpt-4h-f16-sharded", "mpt-4h-f32-composer", "mpt-4h-bias-qkln-f32"])
    func buildsGraphForFixture(name: String) throws {
        let model = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model(name)))
        #expect(model.tensors.count == CanonicalTensor.all(for: model.config).count)
        for tensor in model.orderedTensors {
            #expect(model.tensors[tensor]?.shape == tensor.expectedShape(model.config))
        }
    }

    /// Every naming scheme and container of the same weights normalizes to the same graph,
    /// tensor for tensor, byte for byte.
    @Test(arguments: [
        ("mpt-4h-f32-composer", NamingScheme(dialect: .mpt, prefix: "model.")),
        ("mpt-4h-composer-pt", NamingScheme(dialect: .mpt, prefix: "model.")),
        ("mpt-4h-composer-pt/ep1-ba4-rank0.pt", NamingScheme(dialect: .mpt, prefix: "model.")),
        ("mpt-4h-f32-mosaicgpt", NamingScheme(dialect: .mosaicGPT, prefix: "")),
        ("mpt-4h-f32-bin", NamingScheme(dialect: .mpt, prefix: "")),
        ("mpt-4h-f32-bin-deflated", NamingScheme(dialect: .mpt, prefix: "")),
    ])
    func schemesMapToTheSameGraph(variant: String, scheme: NamingScheme) throws {
        let plain = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model("mpt-4h-f32")))
        let composer = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model(variant)))
        #expect(composer.scheme == scheme)
        var config = composer.config
        config.noBias = plain.config.noBias  // mosaic_gpt's config spells no_bias explicitly; the rest must agree
        #expect(plain.config == config)
        #expect(Set(plain.tensors.keys) == Set(composer.tensors.keys))
        for tensor in plain.orderedTensors {
            guard case let .dense(a)? = plain.tensors[tensor], case let .dense(b)? = composer.tensors[tensor] else {
                Issue.record("\(tensor) not dense"); continue
            }
            #expect(try a.contiguousBytes() == b.contiguousBytes(), "\(tensor)")
        }
    }

    @Test func mosaicGPTNamesMapToCanonicalNames() {
        let scheme = NamingScheme.detect(names: ["transformer.blocks.0.ln_1.weight", "transformer.blocks.0.mlp.mlp_up.weight"])
        #expect(scheme.dialect == .mosaicGPT)
        #expect(scheme.canonicalName(for: "transformer.blocks.3.ln_2.bias") == "transformer.blocks.3.norm_2.bias")
        #expect(scheme.canonicalName(for: "transformer.blocks.3.mlp.mlp_down.weight") == "transformer.blocks.3.ffn.down_proj.weight")
        #expect(scheme.canonicalName(for: "transformer.ln_f.weight") == "transformer.norm_f.weight")
        #expect(scheme.canonicalName(for: "transformer.blocks.0.attn.q_ln.weight") == "transformer.blocks.0.attn.q_ln.weight")
    }

    /// A config that disagrees with the weights fails with a one-line error naming the tensor.
    @Test(arguments: [
        ("\"n_layers\": 2", "\"n_layers\": 3", "missing tensor 'transformer.blocks.2.norm_1.weight'"),
        ("\"n_layers\": 2", "\"n_layers\": 1", "unexpected tensor 'transformer.blocks.1."),
        ("\"vocab_size\": 320", "\"vocab_size\": 321", "tensor 'transformer.wte.weight' has shape [320, 64], expected [321, 64]"),
        ("\"expansion_ratio\": 4", "\"expansion_ratio\": 3", "ffn.down_proj.weight' has shape [64, 256], expected [64, 192]"),
        ("\"vocab_size\": 320", "\"vocab_size\": 320, \"tie_word_embeddings\": false", "missing tensor 'lm_head.weight'"),
    ])
    func rejectsMismatchedWeights(find: String, replace: String, message: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = TestPaths.model("mpt-4h-f32")
        let config = try String(contentsOfFile: source + "/config.json", encoding: .utf8)
        #expect(config.contains(find))
        try config.replacingOccurrences(of: find, with: replace).write(toFile: directory + "/config.json", atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: directory + "/model.safetensors", withDestinationPath: source + "/model.safetensors")
        do {
            _ = try MPTModel(checkpoint: try CheckpointLoader.open(directory))
            Issue.record("accepted \(replace)")
        } catch {
            let text = String(describing: error)
            #expect(text.contains(message), "\(text)")
            #expect(text.hasPrefix(directory), "\(text)")
        }
    }
}
