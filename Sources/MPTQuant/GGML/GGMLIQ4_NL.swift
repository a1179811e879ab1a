import MPTFormats

/// ggml `IQ4_NL`: blocks of 32 values, each `d · kvalues_iq4nl[q]` with a 4-bit index `q` into
/// the non-linear codebook (−127 … 113) and a binary16 scale `d` (18 bytes: `d`, then 16
/// bytes of nibbles — the low nibble of byte `j` is value `j`, the high nibble value `j + 16`).
///
/// Byte-identical to what `ggml_quantize_chunk` runs without an importance matrix,
/// `quantize_iq4_nl` → `quantize_row_iq4_nl_impl(32, 32, …, NULL, ntry = 7)`: `d` is the best
/// scale of `GGMLIQ4Search`, stored as f16, and each value takes the level nearest to
/// `x / d` computed as `(1 / d_f32) · x` (the f32 `d`, before rounding to f16). An all-zero
/// block stores `d = +0` and nibbles 8 (the level nearest 0 is 1).
enum GGMLIQ4_NL: GGMLBlockFormat {
    static let type = GGMLType.iq4_NL
    static let blockSize = 32

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        store(scale: GGMLIQ4Search.scaleScalar(values), values, into: block)
    }

    /// Stores the f16 scale and the nibbles indexed against `(1 / scale) · x` (scalar lookup).
    @inline(__always)
    static func store(scale: Float, _ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        GGMLBlockBits.storeHalf(scale, to: block)
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLIQ4Search.packScalar(values, inverse: inverse, into: (block + 2).assumingMemoryBound(to: UInt8.self))
    }

    /// Searches the 16 candidate scales side by side and looks levels up branch-free; blocks
    /// holding NaN or ±inf take the scalar twin.
    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        guard GGMLLowBit.allFinite(values, count: blockSize) else { return quantizeBlockScalar(values, into: block) }
        let scale = GGMLIQ4Search.scaleSIMD(values)
        GGMLBlockBits.storeHalf(scale, to: block)
        let inverse: Float = scale != 0 ? 1 / scale : 0
        GGMLIQ4Search.packSIMD(values, inverse: inverse, into: (block + 2).assumingMemoryBound(to: UInt8.self))
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        GGMLIQ4Search.decodeScalar(block + 2, scale: GGMLBlockBits.loadHalf(from: block), into: values)
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        GGMLIQ4Search.decodeSIMD(block + 2, scale: GGMLBlockBits.loadHalf(from: block), into: values)
    }
}
