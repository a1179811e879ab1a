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
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLBlockBits.storeHalf(scale, to: block)
        let quants = (block + 2).assumingMemoryBound(to: Int8.self)
        for index in 0..<blockSize {
            quants[index] = saturatingInt8((values[index] * inverse).rounded(.toNearestOrAwayFromZero))
        }
    }

    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let low = GGMLBlockBits.load16(values, 0)
        let high = GGMLBlockBits.load16(values, 16)
        let amax = pointwiseMax(GGMLBlockBits.magnitude(low), GGMLBlockBits.magnitude(high)).max()
        let scale = amax / 127
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLBlockBits.storeHalf(scale, to: block)
        let quantsLow = roundHalfAway(low * inverse)
        let quantsHigh = roundHalfAway(high * inverse)
        (block + 2).storeBytes(of: quantsLow, as: SIMD16<Int8>.self)
        (block + 18).storeBytes(of: quantsHigh, as: SIMD16<Int8>.self)
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block)
        for index in 0..<blockSize {
            values[index] = Float(block.load(fromByteOffset: 2 + index, as: Int8.self)) * scale
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block)
        for half in 0..<2 {
            let quants = block.loadUnaligned(fromByteOffset: 2 + 16 * half, as: SIMD16<Int8>.self)
            let floats = SIMD16<Float>(SIMD16<Int32>(truncatingIfNeeded: quants))
            GGMLBlockBits.store16(floats * scale, values, 16 * half)
        }
    }

    /// `roundf` per lane (half away from zero) saturated to int8; NaN gives 0. Magnitudes are
    /// capped at 256 first (they saturate anyway), which keeps the rounding trick exact.
    @inline(__always)
    static func roundHalfAway(_ x: SIMD16<Float>) -> SIMD16<Int8> {
        let uncapped = GGMLBlockBits.magnitude(x)
        let magnitude = uncapped.replacing(with: 256, where: .!(uncapped .< 256))
        var (integers, floats) = GGMLBlockBits.roundNearestEven(magnitude)
        integers.replace(with: integers &+ 1, where: magnitude - floats .== 0.5)
        integers.replace(with: 0 &- integers, where: x .< 0)
        integers.replace(with: 0, where: x .!= x)
        let saturated = integers.clamped(lowerBound: SIMD16(repeating: -128), upperBound: SIMD16(repeating: 127))
        return SIMD16<Int8>(truncatingIfNeeded: saturated)
    }

    /// `Int8(x)` for an already-rounded float, saturating; NaN gives 0.
    @inline(__always)
    static func saturatingInt8(_ x: Float) -> Int8 {
        if x.isNaN { return 0 }
        return Int8(min(max(x, -128), 127))
    }
}
