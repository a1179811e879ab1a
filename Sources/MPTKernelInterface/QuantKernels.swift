/// The scale searches of ggml's K-quant encoders at one CPU level: the same source as
/// `VectorKernels` (`Sources/MPTKernelsPortable`), compiled three times, each copy's `KernelSet`
/// conforming. `MPTCore.KernelLevel.quantKernels` picks the copy; nothing else may call one.
///
/// Each search runs sixteen groups side by side, one group per lane, every lane doing exactly
/// the float operations of ggml's scalar reference in its order (no fused multiply-add, sums
/// sequential within a group), so the results are bit for bit those of the scalar twins in
/// `MPTQuant/GGML` (`GGMLKQuantSearch.symmetricScale`, `.scaleMin`, `GGMLQ3_K.fitScalar`).
/// Groups are consecutive in memory, `groupSize` values each; levels come back in the same
/// order. Raw pointers only: callers check the sizes.
public protocol QuantKernels {
    /// `make_qx_quants(16, nmax, x, L, rmse_type 1, qw)` on 16 groups of 16 values (Q6_K; with
    /// `weights`, the imatrix paths of Q6_K and Q3_K): `scales[g]` and `levels[16·g + i] = L + nmax`
    /// (0 for a group below `GROUP_MAX_EPS`). Without `weights` each value weighs `x²`.
    /// `maxLevel` ≤ 2²¹; values finite.
    static func symmetricScales(
        _ values: UnsafePointer<Float>, weights: UnsafePointer<Float>?, maxLevel: Int32,
        scales: UnsafeMutablePointer<Float>, levels: UnsafeMutablePointer<UInt8>)

    /// `make_q3_quants(16, nmax, x, L, do_rmse = true)` on 16 groups of 16 values (Q3_K):
    /// `scales[g]` and `levels[16·g + i] = L + nmax` (0 for a group below `GROUP_MAX_EPS`).
    static func refinedSymmetricScales(
        _ values: UnsafePointer<Float>, maxLevel: Int32, scales: UnsafeMutablePointer<Float>, levels: UnsafeMutablePointer<UInt8>)

    /// `make_qkx2_quants(groupSize, nmax, x, w, L, &the_min, Laux, rmin, rdelta, nstep, use_mad)`
    /// on 16 groups of `groupSize` (1…32) values with their `weights` (Q2_K: 16 of 16; Q4_K and
    /// Q5_K: two super-blocks, 16 of 32): `scales[g]`, `negatedMins[g]` (`the_min`) and
    /// `levels[groupSize·g + i]`. `flatWhenMaxNotAbove` makes it `make_qkx3_quants` (a group is
    /// flat when `max <= min` instead of `max == min`; the imatrix paths). Values finite.
    static func scaleMinScales(
        _ values: UnsafePointer<Float>, weights: UnsafePointer<Float>, groupSize: Int, maxLevel: Int32,
        rmin: Float, rdelta: Float, steps: Int, meanAbsolute: Bool, flatWhenMaxNotAbove: Bool,
        scales: UnsafeMutablePointer<Float>, negatedMins: UnsafeMutablePointer<Float>, levels: UnsafeMutablePointer<UInt8>)
}
