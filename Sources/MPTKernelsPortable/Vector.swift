/// The vector type of this copy of the kernels: 16 lanes when compiled for AVX-512
/// (`MPTKIT_AVX512`), else 8 (two SSE registers in the portable copy, one YMM with AVX2).
#if MPTKIT_AVX512
typealias Vector = SIMD16<Float>
typealias IntVector = SIMD16<Int32>
typealias ByteVector = SIMD16<Int8>
#else
typealias Vector = SIMD8<Float>
typealias IntVector = SIMD8<Int32>
typealias ByteVector = SIMD8<Int8>
#endif

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
