/// Conversions between `Float` and the 16-bit float formats (IEEE binary16 "f16" and bfloat16).
///
/// Each bulk conversion has a SIMD path built from integer bit operations (so it vectorizes on any
/// x86-64 target without F16C library calls) and a plain scalar twin built on the standard
/// library's `Float16`, which tests compare against. Rounding is round-to-nearest-even; NaN stays
/// NaN (bf16 NaN becomes PyTorch's canonical `0x7FC0` with the sign kept).
public enum HalfConversion {
    // MARK: Scalar twins

    /// binary16 bits → `Float` (exact).
    @inlinable
    public static func floatFromF16Scalar(_ bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// `Float` → binary16 bits, round-to-nearest-even, overflow to ±inf.
    @inlinable
    public static func f16FromFloatScalar(_ value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// bfloat16 bits → `Float` (exact).
    @inlinable
    public static func floatFromBF16Scalar(_ bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// `Float` → bfloat16 bits, round-to-nearest-even; NaN → quiet NaN (`0x7FC0` | sign).
    @inlinable
    public static func bf16FromFloatScalar(_ value: Float) -> UInt16 {
        let bits = value.bitPattern
        if value.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) & 0x8000) | 0x7FC0 }
        let roundingBias: UInt32 = 0x7FFF &+ ((bits >> 16) & 1)
        return UInt16(truncatingIfNeeded: (bits &+ roundingBias) >> 16)
    }

    // MARK: SIMD lanes

    @inlinable
    static func floatFromF16(_ h: SIMD8<UInt32>) -> SIMD8<Float> {
        let shiftedExponent = SIMD8<UInt32>(repeating: 0x7C00 << 13)
        var out = (h & 0x7FFF) &<< 13
        let exponent = out & shiftedExponent
        out &+= (127 - 15) << 23
        let isInfOrNaN = exponent .== shiftedExponent
        out.replace(with: out &+ ((128 - 16) << 23), where: isInfOrNaN)
        let isSubnormal = exponent .== SIMD8<UInt32>(repeating: 0)
        let magic = SIMD8<Float>(repeating: Float(bitPattern: 113 << 23))
        let renormalized = unsafeBitCast(out &+ (1 << 23), to: SIMD8<Float>.self) - magic
        out.replace(with: unsafeBitCast(renormalized, to: SIMD8<UInt32>.self), where: isSubnormal)
        out |= (h & 0x8000) &<< 16
        return unsafeBitCast(out, to: SIMD8<Float>.self)
    }

    @inlinable
    static func f16FromFloat(_ value: SIMD8<Float>) -> SIMD8<UInt32> {
        var bits = unsafeBitCast(value, to: SIMD8<UInt32>.self)
        let sign = bits & 0x8000_0000
        bits ^= sign
        let f32Infinity: UInt32 = 255 << 23
        let f16Overflow: UInt32 = (127 + 16) << 23
        let denormMagicBits: UInt32 = ((127 - 15) + (23 - 10) + 1) << 23
        // Normal range: rebias exponent and round mantissa to nearest even.
        let mantissaOdd = (bits &>> 13) & 1
        var normal = bits &+ (((15 &- 127) << 23) &+ 0xFFF)
        normal &+= mantissaOdd
        normal &>>= 13
        // Subnormal range: let the FPU do the rounding by adding a magic number.
        let denormMagic = SIMD8<Float>(repeating: Float(bitPattern: denormMagicBits))
        let shifted = unsafeBitCast(bits, to: SIMD8<Float>.self) + denormMagic
        let subnormal = unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- denormMagicBits
        var out = normal
        out.replace(with: subnormal, where: bits .< (113 << 23))
        let overflowOrNaN = bits .>= f16Overflow
        let special = SIMD8<UInt32>(repeating: 0x7C00).replacing(with: 0x7E00, where: bits .> f32Infinity)
        out.replace(with: special, where: overflowOrNaN)
        return out | (sign &>> 16)
    }

    // MARK: Bulk conversions

    /// Converts binary16 bit patterns to `Float`. `source` and `destination` must have equal counts.
    ///
    /// The active `KernelLevel`'s `f16ToFloat` (a branch-free integer loop, vectorized for the
    /// CPU). The scalar twin is `floatFromF16Scalar`.
    public static func convertF16ToFloat(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        let count = min(source.count, destination.count)
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        KernelLevel.kernels.f16ToFloat(src, dst, count: count)
    }

    /// Converts bfloat16 bit patterns to `Float` with the active `KernelLevel`'s `bf16ToFloat`
    /// (a shift loop, vectorized for the CPU). The scalar twin is `floatFromBF16Scalar`.
    public static func convertBF16ToFloat(_ source: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        let count = min(source.count, destination.count)
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        KernelLevel.kernels.bf16ToFloat(src, dst, count: count)
    }

    /// Converts `Float` to binary16 bits (round-to-nearest-even). Returns how many results are ±inf
    /// although their input was finite (overflow), so callers can report it.
    @discardableResult
    public static func convertFloatToF16(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>) -> Int {
        let count = min(source.count, destination.count)
        var index = 0
        var overflows = 0
        if let src = source.baseAddress, let dst = destination.baseAddress {
            while index + 8 <= count {
                let lanes = UnsafeRawPointer(src + index).loadUnaligned(as: SIMD8<Float>.self)
                let halves = f16FromFloat(lanes)
                let becameInfinite = (halves & 0x7FFF) .== 0x7C00
                let wasFinite = (unsafeBitCast(lanes, to: SIMD8<UInt32>.self) & 0x7F80_0000) .!= 0x7F80_0000
                for lane in 0..<8 where becameInfinite[lane] && wasFinite[lane] { overflows += 1 }
                UnsafeMutableRawPointer(dst + index).storeBytes(of: SIMD8<UInt16>(truncatingIfNeeded: halves), as: SIMD8<UInt16>.self)
                index += 8
            }
        }
        while index < count {
            let half = f16FromFloatScalar(source[index])
            if source[index].isFinite && (half & 0x7FFF) == 0x7C00 { overflows += 1 }
            destination[index] = half
            index += 1
        }
        return overflows
    }

    /// Converts `Float` to bfloat16 bits (round-to-nearest-even).
    ///
    /// A branch-free integer loop that LLVM vectorizes to full-width compare/blend instructions
    /// (a SIMD8 lane version compiled to a call per vector and ran 6× slower); the per-element
    /// scalar twin is `bf16FromFloatScalar`.
    public static func convertFloatToBF16(_ source: UnsafeBufferPointer<Float>, into destination: UnsafeMutableBufferPointer<UInt16>) {
        let count = min(source.count, destination.count)
        guard count > 0, let src = source.baseAddress, let dst = destination.baseAddress else { return }
        let words = UnsafeRawPointer(src).assumingMemoryBound(to: UInt32.self)
        for index in 0..<count {
            let bits = words[index]
            let rounded = (bits &+ 0x7FFF &+ ((bits &>> 16) & 1)) &>> 16
            let quietNaN = ((bits &>> 16) & 0x8000) | 0x7FC0
            let isNaN = (bits & 0x7FFF_FFFF) > 0x7F80_0000
            dst[index] = UInt16(truncatingIfNeeded: isNaN ? quietNaN : rounded)
        }
    }
}
