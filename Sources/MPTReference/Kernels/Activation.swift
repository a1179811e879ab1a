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

    /// `clamp(x, −limit, limit)` as `torch.clamp` (NaN stays NaN).
    @inlinable
    public static func clamp<T: BinaryFloatingPoint>(_ x: T, limit: T) -> T {
        if x.isNaN { return x }
        return Swift.min(Swift.max(x, -limit), limit)
    }
}
