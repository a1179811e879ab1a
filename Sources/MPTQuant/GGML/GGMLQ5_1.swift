import MPTFormats

/// ggml `Q5_1`: blocks of 32 values stored as `{ f16 d; f16 m; u8 qh[4]; u8 qs[16] }` (24 bytes)
/// with `m = min`, `d = (max − min) / 31` and 5-bit quants `q = (uint8_t)((x − m) · id + 0.5)`
/// (no clamp, as in ggml), `id = 1 / d` from the f32 `d`; nibbles and high bits are laid out as
/// in `Q5_0`. Dequantize: `q · d + m`. Byte-identical to `quantize_row_q5_1_ref`.
enum GGMLQ5_1: GGMLBlockFormat {
    static let type = GGMLType.q5_1
    static let blockSize = 32

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let (minimum, maximum) = GGMLBlockBits.sequentialMinMax32(values)
        encode(values, minimum: minimum, maximum: maximum, into: block)
    }

    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        let (minimum, maximum) = GGMLBlockBits.branchFreeMinMax32(values)
        encode(values, minimum: minimum, maximum: maximum, into: block)
    }

    @inline(__always)
    private static func encode(_ values: UnsafePointer<Float>, minimum: Float, maximum: Float, into block: UnsafeMutableRawPointer) {
        let scale = (maximum - minimum) / 31
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLBlockBits.storeHalf(scale, to: block, at: 0)
        GGMLBlockBits.storeHalf(minimum, to: block, at: 2)
        let quants = (block + 8).assumingMemoryBound(to: UInt8.self)
        var highBits: UInt32 = 0
        for index in 0..<(blockSize / 2) {
            let low = level((values[index] - minimum) * inverse)
            let high = level((values[index + blockSize / 2] - minimum) * inverse)
            quants[index] = (low & 0x0F) | ((high & 0x0F) &<< 4)
            highBits |= UInt32((low & 0x10) >> 4) << UInt32(index)
            highBits |= UInt32((high & 0x10) >> 4) << UInt32(index + blockSize / 2)
        }
        (block + 4).storeBytes(of: highBits.littleEndian, as: UInt32.self)
    }

    /// `(uint8_t)(t + 0.5f)` as GCC computes it on x86-64.
    @inline(__always)
    static func level(_ shifted: Float) -> UInt8 {
        UInt8(truncatingIfNeeded: GGMLBlockBits.x86TruncatedInt32(shifted + 0.5))
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block, at: 0)
        let minimum = GGMLBlockBits.loadHalf(from: block, at: 2)
        let highBits = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        for index in 0..<(blockSize / 2) {
            let byte = block.load(fromByteOffset: 8 + index, as: UInt8.self)
            let low = Int32(byte & 0x0F) | Int32((highBits >> UInt32(index)) << 4 & 0x10)
            let high = Int32(byte >> 4) | Int32((highBits >> UInt32(index + 12)) & 0x10)
            values[index] = Float(low) * scale + minimum
            values[index + blockSize / 2] = Float(high) * scale + minimum
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block, at: 0)
        let minimum = GGMLBlockBits.loadHalf(from: block, at: 2)
        let highBits = SIMD8<UInt32>(repeating: UInt32(littleEndian: block.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        let lane = SIMD8<UInt32>(0, 1, 2, 3, 4, 5, 6, 7)
        for part in 0..<2 {
            let bytes = SIMD8<UInt32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 8 + 8 * part, as: SIMD8<UInt8>.self))
            let index = lane &+ UInt32(8 * part)
            let low = (bytes & 0x0F) | (((highBits &>> index) &<< 4) & 0x10)
            let high = (bytes &>> 4) | ((highBits &>> (index &+ 12)) & 0x10)
            GGMLBlockBits.store8(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: low)) * scale + minimum, values, 8 * part)
            GGMLBlockBits.store8(SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: high)) * scale + minimum, values, 16 + 8 * part)
        }
    }
}
