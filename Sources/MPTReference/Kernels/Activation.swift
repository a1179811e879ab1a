/// Element-wise helpers of the MPT block.
public enum Activation {
    /// Exact GELU, as PyTorch `nn.GELU(approximate="none")`: `x · 0.5 · (1 + erf(x · √½))`.
    @inlinable
    public static func gelu(_ x: Float) -> Float {
        x * 0.5 * (1 + ReferenceMath.erf(x * 0.707_106_781_186_547_524_4))
    }

    /// Exact GELU in `Double`.
    @inlinable
    public static func gelu(_ x: Double) -> Double {
        x * 0.5 * (1 + ReferenceMath.erf(x * 0.707_106_781_186_547_524_4))
    }

    /// GELU with PyTorch's tanh approximation (`nn.GELU(approximate="tanh")`):
    /// `x · ½ · (1 + tanh(√(2/π) · (x + 0.044715 · x³)))`.
    @inlinable
    public static func geluTanh(_ x: Float) -> Float {
        0.5 * x * (1 + ReferenceMath.tanh(0.797_884_560_802_865_355_9 * (x + 0.044_715 * x * x * x)))
    }

    /// The tanh-approximated GELU in `Double`.
    @inlinable
    public static func geluTanh(_ x: Double) -> Double {
        0.5 * x * (1 + ReferenceMath.tanh(0.797_884_560_802_865_355_9 * (x + 0.044_715 * x * x * x)))
    }

    /// `clamp(x, −limit, limit)` as `torch.clamp` (NaN stays NaN).
    @inlinable
    public static func clamp<T: BinaryFloatingPoint>(_ x: T, limit: T) -> T {
        if x.isNaN { return x }
        return Swift.min(Swift.max(x, -limit), limit)
    }
}
