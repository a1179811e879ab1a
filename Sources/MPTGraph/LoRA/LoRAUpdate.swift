import MPTCore

/// A low-rank update to one linear weight: `W' = W + scale·(B·A)`, with A [r, in] and B [out, r]
/// checked against the weight's shape [out, in].
public struct LoRAUpdate: Sendable {
    /// The adapter's module name, for messages (`transformer.blocks.0.attn.Wqkv`).
    public var module: String
    /// `lora_A.weight`, [r, in].
    public var a: TensorView
    /// `lora_B.weight`, [out, r].
    public var b: TensorView
    /// `alpha / r`, or `alpha / sqrt(r)` for rsLoRA.
    public var scale: Float

    /// The rank `r`.
    public var rank: Int { a.shape.dims.first ?? 0 }

    public init(module: String, a: TensorView, b: TensorView, scale: Float) {
        self.module = module
        self.a = a
        self.b = b
        self.scale = scale
    }
}
