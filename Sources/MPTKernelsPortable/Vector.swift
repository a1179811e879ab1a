/// The vector type of this copy of the kernels: 16 lanes when compiled for AVX-512
/// (`MPTKIT_AVX512`), else 8 (two SSE registers in the portable copy, one YMM with AVX2).
#if MPTKIT_AVX512
typealias Vector = SIMD16<Float>
typealias IntVector = SIMD16<Int32>
#else
typealias Vector = SIMD8<Float>
typealias IntVector = SIMD8<Int32>
#endif

// Symbol hygiene: the three copies are linked into one binary, and a stdlib generic that the
// optimizer leaves out of line (`SIMD.sum()`, `pointwiseMin`, SIMD conversions…) is emitted as
// a shared (link-once) specialization that the linker keeps one copy of — possibly the AVX-512
// one, called from portable code. So the kernels use only operations that always inline
// (arithmetic, comparisons, loads, stores, the helpers below), plain loops that LLVM vectorizes
// for the copy's CPU, and each copy is compiled with -O even in debug builds;
// `KernelSymbolTests` checks that no copy defines a symbol outside its own module.

/// `accumulator + a × b` lane-wise: one fused `vfmadd` per vector where the copy is compiled
/// for a CPU with FMA (`MPTKIT_FMA`); multiply then add in the portable copy, where the fused
/// form would become a libm `fmaf` call per lane.
@inline(__always)
func multiplyAdd(_ accumulator: Vector, _ a: Vector, _ b: Vector) -> Vector {
    #if MPTKIT_FMA
    return accumulator.addingProduct(a, b)
    #else
    return accumulator + a * b
    #endif
}

@inline(__always)
func load(_ pointer: UnsafePointer<Float>) -> Vector {
    UnsafeRawPointer(pointer).loadUnaligned(as: Vector.self)
}

@inline(__always)
func store(_ value: Vector, _ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: value, as: Vector.self)
}

/// The sum of the lanes (in lane order).
@inline(__always)
func horizontalSum(_ value: Vector) -> Float {
    var total: Float = 0
    for lane in 0..<Vector.scalarCount { total += value[lane] }
    return total
}
