/// Rounding and conversion helpers that reproduce ggml's C expressions bit for bit, in scalar
/// and `SIMD8` forms (the SIMD forms do per lane exactly what the scalar forms do).
extension GGMLBlockBits {
    /// ggml's `nearest_int`: adds `1.5 × 2²³` and reads the low 23 mantissa bits, minus `2²²`
    /// (round to nearest even for |x| < 2²²; for larger, infinite or NaN inputs it returns what
    /// ggml's bit trick returns — ggml's `assert` is compiled out in release builds).
    @inline(__always)
    static func nearestInt(_ value: Float) -> Int32 {
        let bits = (value + roundingMagic).bitPattern
        return Int32(bitPattern: bits & 0x007F_FFFF) &- 0x0040_0000
    }

    /// `nearestInt` on eight lanes.
    @inline(__always)
    static func nearestInt(_ value: SIMD8<Float>) -> SIMD8<Int32> {
        let bits = unsafeBitCast(value + SIMD8(repeating: roundingMagic), to: SIMD8<Int32>.self)
        return (bits & 0x007F_FFFF) &- 0x0040_0000
    }

    /// `Float(nearestInt(value))` without leaving floats: `(value + 1.5·2²³) − 1.5·2²³`, exactly
    /// equal for |value| < 2²² (other inputs are the callers' to exclude).
    @inline(__always)
    static func nearestFloat(_ value: SIMD8<Float>) -> SIMD8<Float> {
        let magic = SIMD8<Float>(repeating: roundingMagic)
        return (value + magic) - magic
    }

    /// C's `(int8_t) f` / `(uint8_t) f` as GCC compiles it on x86-64 (`cvttss2si` to 32 bits, then
    /// the low byte): truncation toward zero, and `INT32_MIN` (low byte 0) for NaN and for values
    /// outside the `Int32` range.
    @inline(__always)
    static func x86TruncatedInt32(_ value: Float) -> Int32 {
        guard value >= -2_147_483_648, value < 2_147_483_648 else { return Int32.min }
        return Int32(value)
    }

    /// `fabsf` (clears the sign bit) on eight lanes.
    @inline(__always)
    static func magnitude(_ value: SIMD8<Float>) -> SIMD8<Float> {
        unsafeBitCast(unsafeBitCast(value, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: SIMD8<Float>.self)
    }

    /// True when any of `count` values is NaN or ±infinity (a branch-free scan LLVM vectorizes).
    /// The SIMD twins hand such blocks to their scalar twin, whose sequential comparisons define
    /// what ggml's code does with them.
    @inline(__always)
    static func containsNonFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
        var largest: UInt32 = 0
        for index in 0..<count {
            let magnitude = values[index].bitPattern & 0x7FFF_FFFF
            largest = largest > magnitude ? largest : magnitude
        }
        return largest >= 0x7F80_0000
    }

    /// Stores `value` as little-endian binary16 at `offset` bytes into `block`.
    @inline(__always)
    static func storeHalf(_ value: Float, to block: UnsafeMutableRawPointer, at offset: Int) {
        storeHalf(value, to: block + offset)
    }

    /// Loads the little-endian binary16 at `offset` bytes into `block` as `Float`.
    @inline(__always)
    static func loadHalf(from block: UnsafeRawPointer, at offset: Int) -> Float {
        loadHalf(from: block + offset)
    }

    /// Smallest and largest of 32 finite values as ggml's legacy quantizers find them
    /// (`if (v < min)`, `if (v > max)` from `±FLT_MAX`, so the first of equal values wins, which
    /// matters only for the sign of a zero): the same strict comparisons as selects, without
    /// branches. (An eight-lane version with a fix-up for zeros measured slower.)
    @inline(__always)
    static func minMax32(_ values: UnsafePointer<Float>) -> (min: Float, max: Float) {
        var minimum = Float.greatestFiniteMagnitude
        var maximum = -Float.greatestFiniteMagnitude
        for index in 0..<32 {
            let value = values[index]
            minimum = value < minimum ? value : minimum
            maximum = value > maximum ? value : maximum
        }
        return (minimum, maximum)
    }
}

/// Lane selects written as bit operations on the comparison masks (`replacing(with:where:)` on
/// `SIMD8` compiled to a call per vector here).
extension SIMD8 where Scalar == Float {
    /// Lanes of `other` where `mask` is set, of `self` elsewhere.
    @inline(__always)
    func selecting(_ other: SIMD8<Float>, where mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        let bits = unsafeBitCast(mask, to: SIMD8<UInt32>.self)
        let mine = unsafeBitCast(self, to: SIMD8<UInt32>.self), theirs = unsafeBitCast(other, to: SIMD8<UInt32>.self)
        return unsafeBitCast((theirs & bits) | (mine & ~bits), to: SIMD8<Float>.self)
    }

    /// `scalar` where `mask` is set, `self` elsewhere.
    @inline(__always)
    func selecting(_ scalar: Float, where mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Float> {
        selecting(SIMD8(repeating: scalar), where: mask)
    }
}

extension SIMD8 where Scalar == Int32 {
    /// Lanes of `other` where `mask` is set, of `self` elsewhere.
    @inline(__always)
    func selecting(_ other: SIMD8<Int32>, where mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Int32> {
        let bits = unsafeBitCast(mask, to: SIMD8<Int32>.self)
        return (other & bits) | (self & ~bits)
    }

    /// `scalar` where `mask` is set, `self` elsewhere.
    @inline(__always)
    func selecting(_ scalar: Int32, where mask: SIMDMask<SIMD8<Int32>>) -> SIMD8<Int32> {
        selecting(SIMD8(repeating: scalar), where: mask)
    }
}

extension SIMDMask where Storage == SIMD8<Int32> {
    /// Lane-wise AND of two masks.
    @inline(__always)
    static func & (lhs: Self, rhs: Self) -> Self {
        unsafeBitCast(unsafeBitCast(lhs, to: SIMD8<Int32>.self) & unsafeBitCast(rhs, to: SIMD8<Int32>.self), to: Self.self)
    }

    /// Lane-wise NOT.
    @inline(__always)
    var inverted: Self { unsafeBitCast(~unsafeBitCast(self, to: SIMD8<Int32>.self), to: Self.self) }

    /// True when any lane is set.
    @inline(__always)
    var anySet: Bool {
        let bits = unsafeBitCast(self, to: SIMD8<UInt32>.self)
        let low = bits.lowHalf | bits.highHalf
        let quarter = low.lowHalf | low.highHalf
        return (quarter[0] | quarter[1]) != 0
    }
}

extension GGMLBlockBits {
    /// Minimum and maximum of 32 values with ggml's sequential comparisons (`if v < min`),
    /// which define the result for blocks holding NaN or ±inf (`quantize_row_q4_1_ref`, `q5_1`).
    @inline(__always)
    static func sequentialMinMax32(_ values: UnsafePointer<Float>) -> (minimum: Float, maximum: Float) {
        var minimum = Float.greatestFiniteMagnitude
        var maximum = -Float.greatestFiniteMagnitude
        for index in 0..<32 {
            let value = values[index]
            if value < minimum { minimum = value }
            if value > maximum { maximum = value }
        }
        return (minimum, maximum)
    }

    /// The same minimum and maximum, branch-free for a finite block; a block holding NaN or
    /// ±inf takes the sequential scan so both twins write the same bytes.
    @inline(__always)
    static func branchFreeMinMax32(_ values: UnsafePointer<Float>) -> (minimum: Float, maximum: Float) {
        guard !containsNonFinite(values, count: 32) else { return sequentialMinMax32(values) }
        let (minimum, maximum) = minMax32(values)
        return (minimum, maximum)
    }
}
