/// ALiBi attention biases as MPT computes them (MosaicML llm-foundry `gen_slopes`, Hugging Face
/// `build_mpt_alibi_tensor`).
///
/// Slopes are computed in `Double` from the configured `alibi_bias_max`, like llm-foundry.
/// (Stock Hugging Face ignores `alibi_bias_max`, always using 8, and rounds slopes to float32.)
public enum ALiBi {
    /// Per-head slopes: over the next power of two `n ≥ heads`, `slope_k = 1 / 2^(k · biasMax / n)`
    /// for `k = 1…n`; when `heads` is not a power of two the list is re-ordered
    /// `slopes[1::2] + slopes[::2]` and cut to `heads`.
    public static func slopes(heads: Int, biasMax: Double) -> [Double] {
        guard heads > 0 else { return [] }
        var powerOfTwo = 1
        while powerOfTwo < heads { powerOfTwo *= 2 }
        let step = biasMax / Double(powerOfTwo)
        let all: [Double] = (1...powerOfTwo).map { 1 / ReferenceMath.exp2(Double($0) * step) }
        if powerOfTwo == heads { return all }
        let odd = stride(from: 1, to: powerOfTwo, by: 2).map { all[$0] }
        let even = stride(from: 0, to: powerOfTwo, by: 2).map { all[$0] }
        return Array((odd + even).prefix(heads))
    }

    /// The bias added to the score of key `key` in a sequence of `length`:
    /// `slope × (key − (length − 1))` (query-independent; equal to the relative form under the
    /// causal mask because softmax ignores a per-row constant).
    @inlinable
    public static func bias<T: BinaryFloatingPoint>(slope: Double, key: Int, length: Int, as _: T.Type = T.self) -> T {
        T(slope) * T(key - (length - 1))
    }
}
