import MPTFormats

/// ggml `Q8_0`: blocks of 32 values stored as a binary16 scale `d = amax / 127` followed by 32
/// int8 quants `round(x / d)` (half away from zero), byte-identical to `quantize_row_q8_0_ref`.
/// The quants use `id = 1 / d` computed from the f32 `d`, before `d` is rounded to f16.
enum GGMLQ8_0: GGMLBlockFormat {
    static let type = GGMLType.q8_0
    static let blockSize = 32

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        for index in 0..<blockSize {
            let magnitude = abs(values[index])
            amax = amax > magnitude ? amax : magnitude
        }
        let scale = amax / 127
        let inverse = usableInverse(scale)
        GGMLBlockBits.storeHalf(scale, to: block)
        let quants = (block + 2).assumingMemoryBound(to: Int8.self)
        for index in 0..<blockSize {
            quants[index] = saturatingInt8((values[index] * inverse).rounded(.toNearestOrAwayFromZero))
        }
    }

    /// Vectorizable twin of `quantizeBlockScalar`: branch-free per-element loops LLVM turns into
    /// AVX2 code (generic `SIMD8` helpers compiled to calls per vector here).
    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let amax = GGMLBlockBits.absoluteMax32(values)
        // A NaN wins the bit-pattern maximum, but ggml's sequential `MAX` lets later values
        // replace it: such a block takes the scalar twin, so both write the same bytes.
        guard !amax.isNaN else { return quantizeBlockScalar(values, into: block) }
        let scale = amax / 127
        let inverse = usableInverse(scale)
        GGMLBlockBits.storeHalf(scale, to: block)
        let quants = (block + 2).assumingMemoryBound(to: Int8.self)
        for index in 0..<blockSize {
            quants[index] = roundHalfAway(values[index] * inverse)
        }
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block)
        for index in 0..<blockSize {
            values[index] = Float(block.load(fromByteOffset: 2 + index, as: Int8.self)) * scale
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block)
        for part in 0..<4 {
            let quants = block.loadUnaligned(fromByteOffset: 2 + 8 * part, as: SIMD8<Int8>.self)
            let floats = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: quants))
            GGMLBlockBits.store8(floats * scale, values, 8 * part)
        }
    }

    /// `id = d ? 1/d : 0`, except that an infinite `id` (a block whose `amax` is so small that
    /// `d = amax / 127` is subnormal below 2⁻¹²⁸) becomes 0: ggml's `(int8_t) roundf(x · inf)` is
    /// ±inf or NaN converted by `cvttss2si`, whose low byte is 0, so every quant is 0 there too.
    @inline(__always)
    static func usableInverse(_ scale: Float) -> Float {
        let inverse: Float = scale != 0 ? 1 / scale : 0
        return inverse.isFinite ? inverse : 0
    }

    /// `roundf` (half away from zero) without branches or `roundf` calls, the magnitude capped at
    /// 127 (quants never exceed it for finite input: |x / d| ≤ 127 up to rounding); NaN gives 0.
    /// Rounds to nearest-even with the `1.5 × 2²³` trick, then moves exact ties away from zero.
    @inline(__always)
    static func roundHalfAway(_ x: Float) -> Int8 {
        let bits = x.bitPattern
        let raw = Float(bitPattern: bits & 0x7FFF_FFFF)
        let magnitude: Float = raw <= 127 ? raw : (raw > 127 ? 127 : 0)
        let magic = GGMLBlockBits.roundingMagic
        let shifted = magnitude + magic
        let nearestEven = Int32(bitPattern: shifted.bitPattern) &- magic.bitPattern.asInt32
        let rounded = nearestEven &+ (magnitude - (shifted - magic) == 0.5 ? 1 : 0)
        return Int8(truncatingIfNeeded: bits >> 31 != 0 ? 0 &- rounded : rounded)
    }

    /// `Int8(x)` for an already-rounded float, capped at ±127 like the SIMD twin; NaN gives 0.
    @inline(__always)
    static func saturatingInt8(_ x: Float) -> Int8 {
        if x.isNaN { return 0 }
        return Int8(min(max(x, -127), 127))
    }
}
