/// ALiBi attention biases as MPT computes them (`build_mpt_alibi_tensor` in Hugging Face
/// `modeling_mpt.py`, `gen_slopes` in MosaicML llm-foundry).
public enum ALiBi {
    /// Per-head slopes in `Float`, computed like PyTorch does in float32: over the next power of
    /// two `n ≥ heads`, `slope_k = 1 / 2^(k · biasMax / n)` for `k = 1…n`; when `heads` is not a
    /// power of two the list is re-ordered `slopes[1::2] + slopes[::2]` and cut to `heads`.
    public static func slopes(heads: Int, biasMax: Double) -> [Float] {
        guard heads > 0 else { return [] }
        var powerOfTwo = 1
        while powerOfTwo < heads { powerOfTwo *= 2 }
        let step = Float(biasMax / Double(powerOfTwo))
        let all: [Float] = (1...powerOfTwo).map { 1 / Float(ReferenceMath.exp2(Double(Float($0) * step))) }
        if powerOfTwo == heads { return all }
        let odd = stride(from: 1, to: powerOfTwo, by: 2).map { all[$0] }
        let even = stride(from: 0, to: powerOfTwo, by: 2).map { all[$0] }
        return Array((odd + even).prefix(heads))
    }

    /// The bias added to the score of key `key` in a sequence of `length`:
    /// `slope × (key − (length − 1))`, rounded to `Float` as PyTorch does (int × float32).
    @inlinable
    public static func bias(slope: Float, key: Int, length: Int) -> Float {
        slope * Float(key - (length - 1))
    }
}

