import MPTFormats
import MPTGraph

extension MPTConfig {
    /// Refuses options that llama.cpp's MPT graph (`llama_model_mpt`) cannot express:
    /// * `softmax_scale` other than 1/√head_dim — llama.cpp always scales by 1/√head_dim. It
    ///   cannot be folded into the weights because `clip_qkv` clamps before the scale and `qk_ln`
    ///   normalizes it away.
    /// * `logit_scale` other than 1 — llama.cpp's MPT graph has no logit multiplier (and
    ///   `convert_hf_to_gguf.py` drops it silently).
    /// Biases, qk_ln, learned positions, clip_qkv and untied heads are all representable.
    public func checkRepresentableInGGUF() throws {
        if let scale = softmaxScale {
            let standard = 1 / Double(headDim).squareRoot()
            if abs(scale - standard) > 1e-9 * standard {
                throw GGUFExportError.unrepresentable(
                    option: "softmax_scale \(scale)",
                    reason: "llama.cpp's MPT graph always scales attention by 1/sqrt(head_dim) = \(standard)")
            }
        }
        if let scale = logitScale, scale != 1 {
            throw GGUFExportError.unrepresentable(
                option: "logit_scale \(scale)", reason: "llama.cpp's MPT graph has no logit scale")
        }
    }

    /// The `mpt.*` hyper-parameter entries as `convert_hf_to_gguf.py` writes them, except that
    /// `feed_forward_length` and `layer_norm_epsilon` are the model's real values (the converter
    /// hard-codes 4·d_model and 1e-5).
    public func ggufHyperParameters() throws -> [(key: String, value: GGUFValue)] {
        func u32(_ key: String, _ value: Int) throws -> (key: String, value: GGUFValue) {
            guard let raw = UInt32(exactly: value) else {
                throw GGUFExportError.unrepresentable(option: "\(key) \(value)", reason: "does not fit UINT32")
            }
            return (key, .uint32(raw))
        }
        var entries = [
            try u32(MPTGGUFKey.contextLength, maxSeqLen),
            try u32(MPTGGUFKey.embeddingLength, dModel),
            try u32(MPTGGUFKey.blockCount, nLayers),
            try u32(MPTGGUFKey.feedForwardLength, ffnHiddenSize),
            try u32(MPTGGUFKey.headCount, nHeads),
            (MPTGGUFKey.layerNormEpsilon, GGUFValue.float32(Float(layerNormEpsilon))),
        ]
        if let clip = clipQKV { entries.append((MPTGGUFKey.clampKQV, .float32(Float(clip)))) }
        entries.append((MPTGGUFKey.maxAlibiBias, .float32(alibi ? Float(alibiBiasMax) : 0)))
        return entries
    }
}
