import MPTFormats

/// ggml `Q5_0`: blocks of 32 values stored as `{ f16 d; u8 qh[4]; u8 qs[16] }` (22 bytes) with
/// `d = max / −16` (`max` the signed value of largest magnitude, the first on ties) and 5-bit
/// quants `q = min(31, (int8_t)(x · id + 16.5))`, `id = 1 / d` from the f32 `d`. The low four bits
/// of element `j` sit in the low nibble of `qs[j]` (`j < 16`) or the high nibble of `qs[j − 16]`;
/// bit 4 is bit `j` of the little-endian u32 `qh`. Dequantize: `(q − 16) · d`.
/// Byte-identical to `quantize_row_q5_0_ref`.
enum GGMLQ5_0: GGMLBlockFormat {
    static let type = GGMLType.q5_0
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
        encode(values, signedMax: signedMax, into: block)
    }

    /// The largest magnitude and its first index come from branch-free scans; a block holding
    /// NaN takes the scalar twin (ggml's sequential comparisons decide what wins there).
    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let amax = GGMLBlockBits.absoluteMax32(values)
        guard !amax.isNaN else { return quantizeBlockScalar(values, into: block) }
        let signedMax: Float = amax > 0 ? values[GGMLBlockBits.firstIndex32(ofMagnitude: amax, in: values)] : 0
        encode(values, signedMax: signedMax, into: block)
    }

    @inline(__always)
    private static func encode(_ values: UnsafePointer<Float>, signedMax: Float, into block: UnsafeMutableRawPointer) {
        let scale = signedMax / -16
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLBlockBits.storeHalf(scale, to: block, at: 0)
        let quants = (block + 6).assumingMemoryBound(to: UInt8.self)
        var highBits: UInt32 = 0
        for index in 0..<(blockSize / 2) {
            let low = level(values[index] * inverse)
            let high = level(values[index + blockSize / 2] * inverse)
            quants[index] = (low & 0x0F) | ((high & 0x0F) &<< 4)
            highBits |= UInt32((low & 0x10) >> 4) << UInt32(index)
            highBits |= UInt32((high & 0x10) >> 4) << UInt32(index + blockSize / 2)
        }
        (block + 2).storeBytes(of: highBits.littleEndian, as: UInt32.self)
    }

    /// `MIN(31, (int8_t)(t + 16.5f))` stored in a `uint8_t`, as GCC computes it on x86-64.
    @inline(__always)
    static func level(_ scaled: Float) -> UInt8 {
        let truncated = Int8(truncatingIfNeeded: GGMLBlockBits.x86TruncatedInt32(scaled + 16.5))
        return UInt8(bitPattern: min(31, truncated))
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block, at: 0)
        let highBits = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self))
        for index in 0..<(blockSize / 2) {
            let byte = block.load(fromByteOffset: 6 + index, as: UInt8.self)
            let low = Int32(byte & 0x0F) | Int32((highBits >> UInt32(index)) << 4 & 0x10)
            let high = Int32(byte >> 4) | Int32((highBits >> UInt32(index + 12)) & 0x10)
            values[index] = Float(low - 16) * scale
            values[index + blockSize / 2] = Float(high - 16) * scale
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block, at: 0)
        let highBits = SIMD8<UInt32>(repeating: UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 2, as: UInt32.self)))
        let lane = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        for part in 0..<2 {
            let bytes = SIMD8<UInt32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 6 + 8 * part, as: SIMD8<UInt8>.self))
            let index = lane &+ UInt32(8 * part)
            let low = (bytes & 0x0F) | (((highBits &>> index) &<< 4) & 0x10)
            let high = (bytes &>> 4) | ((highBits &>> (index &+ 12)) & 0x10)
            let sixteen = SIMD8<Int32>(repeating: 16)
            GGMLBlockBits.store8(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: low) &- sixteen) * scale, values, 8 * part)
            GGMLBlockBits.store8(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: high) &- sixteen) * scale, values, 16 + 8 * part)
        }
    }
}
