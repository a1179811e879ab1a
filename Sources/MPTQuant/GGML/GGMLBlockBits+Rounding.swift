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

    /// Smallest and largest of 32 values as ggml's legacy quantizers find them (`if (v < min)`,
    /// `if (v > max)` from `±FLT_MAX`): for finite input the first of equal values wins, which
    /// matters only for the sign of a zero. Eight lanes at a time, then the lanes in order; a
    /// zero result is replaced by the first zero of the block, as the sequential scan keeps it.
    @inline(__always)
    static func minMax32(_ values: UnsafePointer<Float>) -> (min: Float, max: Float) {
        var low = load8(values, 0)
        var high = low
        for part in 1..<4 {
            let lanes = load8(values, 8 * part)
            low.replace(with: lanes, where: lanes .< low)
            high.replace(with: lanes, where: lanes .> high)
        }
        var minimum = low[0], maximum = high[0]
        for lane in 1..<8 {
            if low[lane] < minimum { minimum = low[lane] }
            if high[lane] > maximum { maximum = high[lane] }
        }
        if minimum == 0 || maximum == 0 {
            var index = 0
            while index < 32, values[index] != 0 { index += 1 }
            if index < 32 {
                if minimum == 0 { minimum = values[index] }
                if maximum == 0 { maximum = values[index] }
            }
        }
        return (minimum, maximum)
    }
}
