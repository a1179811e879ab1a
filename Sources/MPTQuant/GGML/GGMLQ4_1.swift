import MPTFormats

/// ggml `Q4_1`: blocks of 32 values stored as `{ f16 d; f16 m; u8 qs[16] }` (20 bytes) with
/// `m = min`, `d = (max − min) / 15`; the low nibble of `qs[j]` is element `j`, the high nibble
/// element `j + 16`, each `min(15, (int8_t)((x − m) · id + 0.5))` with `id = 1 / d` from the f32
/// `d`. Dequantize: `q · d + m`. Byte-identical to `quantize_row_q4_1_ref`.
enum GGMLQ4_1: GGMLBlockFormat {
    static let type = GGMLType.q4_1
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
        let scale = (maximum - minimum) / 15
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLBlockBits.storeHalf(scale, to: block, at: 0)
        GGMLBlockBits.storeHalf(minimum, to: block, at: 2)
        let quants = (block + 4).assumingMemoryBound(to: UInt8.self)
        for index in 0..<(blockSize / 2) {
            let low = level((values[index] - minimum) * inverse)
            let high = level((values[index + blockSize / 2] - minimum) * inverse)
            quants[index] = low | (high &<< 4)
        }
    }

    /// `MIN(15, (int8_t)(t + 0.5f))` stored in a `uint8_t`, as GCC computes it on x86-64.
    @inline(__always)
    static func level(_ shifted: Float) -> UInt8 {
        let truncated = Int8(truncatingIfNeeded: GGMLBlockBits.x86TruncatedInt32(shifted + 0.5))
        return UInt8(bitPattern: min(15, truncated))
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block, at: 0)
        let minimum = GGMLBlockBits.loadHalf(from: block, at: 2)
        for index in 0..<(blockSize / 2) {
            let byte = block.load(fromByteOffset: 4 + index, as: UInt8.self)
            values[index] = Float(byte & 0x0F) * scale + minimum
            values[index + blockSize / 2] = Float(byte >> 4) * scale + minimum
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let scale = GGMLBlockBits.loadHalf(from: block, at: 0)
        let minimum = GGMLBlockBits.loadHalf(from: block, at: 2)
        for part in 0..<2 {
            let bytes = block.loadUnaligned(fromByteOffset: 4 + 8 * part, as: SIMD8<UInt8>.self)
            let low = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes & 0x0F))
            let high = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes &>> 4))
            GGMLBlockBits.store8(low * scale + minimum, values, 8 * part)
            GGMLBlockBits.store8(high * scale + minimum, values, 16 + 8 * part)
        }
    }
}
