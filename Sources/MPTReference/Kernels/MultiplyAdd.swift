/// `accumulator + a × b` lane-wise.
///
/// Uses the fused `addingProduct` (one `vfmadd` per vector) when the build targets a CPU with FMA
/// (`-Xswiftc -target-cpu -Xswiftc haswell`, which also defines `__FMA__`-style codegen). On the
/// portable x86-64 baseline the fused form would become a libm `fmaf` call per lane, so the
/// portable build multiplies then adds instead; define `MPTKIT_FMA` to force the fused form.
@inlinable @inline(__always)
func multiplyAdd(_ accumulator: SIMD8<Float>, _ a: SIMD8<Float>, _ b: SIMD8<Float>) -> SIMD8<Float> {
    #if MPTKIT_FMA
    return accumulator.addingProduct(a, b)
    #else
    return accumulator + a * b
    #endif
}
