/// The hot loops of MPTKit at one CPU level: one source (`Sources/MPTKernelsPortable`) compiled
/// three times — portable x86-64, Haswell (AVX2+FMA+F16C) and Skylake-AVX512 — each copy a
/// `KernelSet` conforming to this protocol. `MPTCore.KernelLevel` picks the copy the running CPU
/// and OS can execute; nothing else may call a copy directly.
///
/// Raw pointers only, no MPTKit types: callers check every size before they call. Every kernel
/// has a plain scalar twin outside this module that the tests compare each level against.
public protocol VectorKernels {
    /// Float lanes of one vector (8 below AVX-512, 16 with it).
    static var vectorWidth: Int { get }
    /// Weight rows (`B` rows) of the product's register tile.
    static var tileRows: Int { get }
    /// Activation rows (`A` rows) of one packed panel: two vectors.
    static var panelWidth: Int { get }

    /// Copies `rows` rows of `A` (`depth` each, row stride `lda`) into panels of `panelWidth`
    /// rows laid out `[panel][i][panelWidth]`, zero-filling rows past the end.
    static func packPanels(_ a: UnsafePointer<Float>, lda: Int, rows: Int, depth: Int, into packed: UnsafeMutablePointer<Float>)

    /// Output columns per group of the product: each group's sums over the whole reduction
    /// accumulate in a `[column][row]` buffer before `C` is written.
    static var columnGroup: Int { get }
    /// Activation rows per group within a reduction block (a multiple of `panelWidth`): the
    /// packed panels of one group (rowGroup × reductionBlock floats) stay in L2.
    static var rowGroup: Int { get }

    /// `C[p, o] = bias[o] + Σᵢ A[p, i] · B[o, i]` for the output columns `columns` and all `rows`
    /// rows: per group of `columnGroup` columns, the reduction in blocks of `reductionBlock`, rows
    /// in groups of `rowGroup`, `tileRows` columns × `panelWidth` rows at a time (`tile`), then
    /// `storeTransposed`.
    /// `packed` is `packPanels`' output.
    static func multiplyColumns(
        _ columns: Range<Int>, rows: Int, depth: Int, reductionBlock: Int, packed: UnsafePointer<Float>,
        b: UnsafePointer<Float>, ldb: Int, bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int)

    /// The register tile: for `weightRows` (≤ `tileRows`) rows of `weights` (stride `ldb`) and the
    /// `panelWidth` rows of one packed panel, adds `Σᵢ B[r, i] · A[p, i]` over `i < depth` into
    /// `sums[r · sumStride + p]` (all `panelWidth` positions: padding rows add zero).
    static func tile(
        weightRows: Int, depth: Int, weights: UnsafePointer<Float>, ldb: Int, panel: UnsafePointer<Float>,
        sums: UnsafeMutablePointer<Float>, sumStride: Int)

    /// `C[p, j] = bias[j] + sums[j · sumStride + p]` (no bias: the sum) for `j < columns`, `p < rows`.
    static func storeTransposed(
        _ sums: UnsafePointer<Float>, sumStride: Int, columns: Int, rows: Int, bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int)

    /// `Σᵢ x[i] · y[i]` over `count` elements.
    static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float

    /// `scores[j] = scale · Σᵢ query[i] · keys[j·keyStride + i]` for `j < keyCount`, `i < depth`.
    static func scaledDots(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, keyStride: Int, keyCount: Int, depth: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>)

    /// `values[j] = e^(values[j] − shift)` in place for `j < count`, returning their sum: a
    /// Cephes-style polynomial (within 2 ulp of libm's `expf` for arguments ≥ −87; below, where
    /// the result is under 2⁻¹²⁶, it gives about 2⁻¹²⁶ instead of a subnormal or 0). NaN stays NaN.
    static func exponentials(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float

    /// Keys per tile of `attendBlock`.
    static var attentionKeyTile: Int { get }
    /// Floats of the scratch `attendBlock` needs for heads of `depth`:
    /// `panelWidth · (2 · depth + attentionKeyTile)`.
    static func attentionScratchCount(depth: Int) -> Int

    /// Causal attention of one head for `rows` (1…`panelWidth`) query rows at positions
    /// `firstPosition…` (row `r` at `queries + r·queryStride`), each against keys and values
    /// `0…position` (`keys/values + j·keyStride`, `depth` each), scores
    /// `scale · q·k + slope · (j − position)`; writes the `depth` outputs of row `r` at
    /// `output + r·outputStride`. Keys are taken `attentionKeyTile` at a time: `Sᵀ = K·(scale·Q)ᵀ`
    /// with the product's register tile, the mask and bias, an online-softmax update vectorized
    /// across the rows, `Oᵀ += Vᵀ·Pᵀ` with the same tile; keys past the last row are never read.
    /// `scratch` holds `attentionScratchCount(depth:)` floats.
    static func attendBlock(
        queries: UnsafePointer<Float>, queryStride: Int, rows: Int, firstPosition: Int,
        keys: UnsafePointer<Float>, values: UnsafePointer<Float>, keyStride: Int, depth: Int, scale: Float, slope: Float,
        output: UnsafeMutablePointer<Float>, outputStride: Int, scratch: UnsafeMutablePointer<Float>)

    /// The exact GELU in place over `count` values, erf by Abramowitz–Stegun 7.1.26 (absolute
    /// error ≤ 1.5e-7, as PyTorch's vectorized CPU erf); NaN stays NaN, ±infinity as the scalar
    /// `x · ½ · (1 + erf(x/√2))`. Its twin is `Activation.gelu` (libm `erff`).
    static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int)

    /// `y[i] = y[i] · keep + weight · x[i]` over `count` elements (an online-softmax update).
    static func rescaleAdd(_ y: UnsafeMutablePointer<Float>, keep: Float, weight: Float, _ x: UnsafePointer<Float>, count: Int)

    /// Lays out `count` activations for `bf16Dot` / `f16Dot`: per block of `2 · vectorWidth`
    /// values the even-indexed ones, then the odd-indexed ones; the last `count % (2 · vectorWidth)`
    /// unchanged.
    static func pairActivations(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int)
    /// `Σᵢ a[i] · w[i]` over `count` elements, `a` laid out by `pairActivations`, `w` bfloat16
    /// bit patterns decoded in the loop (exactly as `bf16ToFloat`).
    static func bf16Dot(_ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, count: Int) -> Float
    /// `bf16Dot` for binary16 weights (decoded exactly as `f16ToFloat`).
    static func f16Dot(_ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, count: Int) -> Float
    /// `bf16Dot` (`bfloat16`) or `f16Dot` of the same activations with four weight rows
    /// `rowStride` elements apart, into `sums[0..<4]`, each bit for bit the single-row result.
    static func halfDot4(
        _ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, rowStride: Int, count: Int, bfloat16: Bool,
        _ sums: UnsafeMutablePointer<Float>)

    /// bfloat16 bit patterns → `Float` (exact).
    static func bf16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int)
    /// binary16 bit patterns → `Float` (exact; subnormals, infinities and NaN kept).
    static func f16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int)
    /// LLM.int8 codes → `Float` as `Float(code) · scale · reciprocal`, rounded left to right.
    static func int8ToFloat(_ codes: UnsafePointer<Int8>, scale: Float, reciprocal: Float, _ destination: UnsafeMutablePointer<Float>, count: Int)
    /// `blocks` ggml Q8_0 blocks (f16 scale, 32 int8) → `32 · blocks` floats, `Float(q) · d`.
    static func q8_0ToFloat(_ source: UnsafeRawPointer, blocks: Int, _ destination: UnsafeMutablePointer<Float>)
    /// `blocks` ggml Q4_0 blocks (f16 scale, 16 bytes of nibbles, low nibbles first) →
    /// `32 · blocks` floats, `Float(nibble − 8) · d`.
    static func q4_0ToFloat(_ source: UnsafeRawPointer, blocks: Int, _ destination: UnsafeMutablePointer<Float>)
}
