import MPTFormats

/// ggml `Q4_0`: blocks of 32 values stored as a binary16 scale `d = max / -8` (`max` is the
/// signed value of largest magnitude, the first one on ties) followed by 16 bytes of nibbles:
/// the low nibble of byte `j` is element `j`, the high nibble element `j + 16`, each
/// `min(15, trunc(x / d + 8.5))`. Byte-identical to `quantize_row_q4_0_ref`: `id = 1 / d` uses
/// the f32 `d`, and an all-zero block gets `d = -0.0` (f16 `0x8000`).
enum GGMLQ4_0: GGMLBlockFormat {
    static let type = GGMLType.q4_0
    static let blockSize = 32

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        var amax: Float = 0
        var signedMax: Float = 0
        for index in 0..<blockSize {
            let value = values[index]
            if amax < abs(value) {
                amax = abs(value)
                signedMax = value
            }
        }
        let scale = signedMax / -8
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLBlockBits.storeHalf(scale, to: block)
        let quants = (block + 2).assumingMemoryBound(to: UInt8.self)
        for index in 0..<(blockSize / 2) {
            let low = nibble(values[index] * inverse + 8.5)
            let high = nibble(values[index + blockSize / 2] * inverse + 8.5)
            quants[index] = low | (high << 4)
        }
    }

    /// Vectorizable twin of `quantizeBlockScalar`: branch-free loops LLVM turns into AVX2 code
    /// (generic `SIMD8` helpers compiled to calls per vector here).
    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let amax = GGMLBlockBits.absoluteMax32(values)
        // A NaN wins the bit-pattern maximum, but ggml's sequential `MAX` lets later values
        // replace it: such a block takes the scalar twin, so both write the same bytes.
        guard !amax.isNaN else { return quantizeBlockScalar(values, into: block) }
        let signedMax: Float = amax > 0 ? values[GGMLBlockBits.firstIndex32(ofMagnitude: amax, in: values)] : 0
        let scale = signedMax / -8
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLBlockBits.storeHalf(scale, to: block)
        let quants = (block + 2).assumingMemoryBound(to: UInt8.self)
        for index in 0..<(blockSize / 2) {
            let low = nibbleBranchFree(values[index] * inverse + 8.5)
            let high = nibbleBranchFree(values[index + blockSize / 2] * inverse + 8.5)
            quants[index] = low | (high << 4)
        }
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block)
        for index in 0..<(blockSize / 2) {
            let byte = block.load(fromByteOffset: 2 + index, as: UInt8.self)
            values[index] = Float(Int(byte & 0x0F) - 8) * scale
            values[index + blockSize / 2] = Float(Int(byte >> 4) - 8) * scale
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block)
        let eight = SIMD8<Int32>(repeating: 8)
        for part in 0..<2 {
            let bytes = block.loadUnaligned(fromByteOffset: 2 + 8 * part, as: SIMD8<UInt8>.self)
            let low = SIMD8<Int32>(truncatingIfNeeded: bytes & 0x0F) &- eight
            let high = SIMD8<Int32>(truncatingIfNeeded: bytes &>> 4) &- eight
            GGMLBlockBits.store8(SIMD8<Float>(low) * scale, values, 8 * part)
            GGMLBlockBits.store8(SIMD8<Float>(high) * scale, values, 16 + 8 * part)
        }
    }

    /// `min(15, trunc(t))` for `t = x/d + 8.5` (never negative for finite input); NaN gives 0.
    @inline(__always)
    static func nibble(_ shifted: Float) -> UInt8 {
        guard shifted > 0 else { return 0 }
        return UInt8(min(shifted, 15))
    }

    /// Branch-free `nibble`: `t` is capped to [0, 15] (NaN to 0), then floored (nearest-even with
    /// the `1.5 × 2²³` trick, minus one where that rounded up), which equals truncation here.
    @inline(__always)
    static func nibbleBranchFree(_ shifted: Float) -> UInt8 {
        let capped: Float = shifted > 0 ? (shifted < 15 ? shifted : 15) : 0
        let magic = GGMLBlockBits.roundingMagic
        let rounded = capped + magic
        let nearestEven = Int32(bitPattern: rounded.bitPattern) &- magic.bitPattern.asInt32
        return UInt8(truncatingIfNeeded: nearestEven &- (rounded - magic > capped ? 1 : 0))
    }
}
