import MPTFormats

/// ggml `IQ4_XS`: super-blocks of 256 values in 8 sub-blocks of 32, each value
/// `d · (ls − 32) · kvalues_iq4nl[q]` with a 4-bit codebook index `q` and a 6-bit sub-block
/// scale `ls` (136 bytes: binary16 `d`; `scales_h` (u16 LE) with the top two bits of `ls` of
/// sub-block `ib` at bits `2·ib`; `scales_l[4]` with the low four bits of sub-blocks `2k` / `2k+1`
/// in the low / high nibble of byte `k`; then `qs[128]`, 16 bytes per sub-block laid out as in
/// IQ4_NL).
///
/// Byte-identical to `quantize_iq4_xs` → `quantize_row_iq4_nl_impl(256, 32, …, NULL, ntry = 7)`:
/// each sub-block's scale comes from `GGMLIQ4Search`; `d = −max_scale / 32` (the scale of
/// largest magnitude, first on ties); `ls = clamp(nearest_int(scale / d), −32, 31)` using
/// `1 / d` of the f32 `d`, and the values are re-indexed against `(1 / (d·ls)) · x`, again with
/// the f32 `d`. An all-zero super-block stores `d = −0` (f16 `0x8000`), `ls = 32`, nibbles 8.
enum GGMLIQ4_XS: GGMLBlockFormat {
    static let type = GGMLType.iq4_XS
    static let blockSize = 256
    static let highScalesOffset = 2, lowScalesOffset = 4, quantsOffset = 8

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        encode(values, into: block, search: { GGMLIQ4Search.scaleScalar($0) }, pack: GGMLIQ4Search.packScalar)
    }

    /// Searches each sub-block's 16 candidate scales side by side and looks levels up
    /// branch-free; blocks holding NaN or ±inf take the scalar twin.
    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        guard GGMLLowBit.allFinite(values, count: blockSize) else { return quantizeBlockScalar(values, into: block) }
        encode(values, into: block, search: GGMLIQ4Search.scaleSIMD, pack: GGMLIQ4Search.packSIMD)
    }

    @inline(__always)
    static func encode(
        _ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer,
        search: (UnsafePointer<Float>) -> Float,
        pack: (UnsafePointer<Float>, Float, UnsafeMutablePointer<UInt8>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 8) { buffer in
            guard let scales = buffer.baseAddress else { return }
            var maxScale: Float = 0, amaxScale: Float = 0
            for sub in 0..<8 {
                let scale = search(values + 32 * sub)
                scales[sub] = scale
                if abs(scale) > amaxScale { amaxScale = abs(scale); maxScale = scale }
            }
            let d = -maxScale / 32
            GGMLBlockBits.storeHalf(d, to: block)
            let inverse: Float = d != 0 ? 1 / d : 0
            var high: UInt16 = 0
            let lowScales = (block + lowScalesOffset).assumingMemoryBound(to: UInt8.self)
            let qs = (block + quantsOffset).assumingMemoryBound(to: UInt8.self)
            for sub in 0..<8 {
                let l = GGMLLowBit.clamp(GGMLLowBit.nearestInt(inverse * scales[sub]), -32, 31)
                let dl = d * Float(l)
                let subInverse: Float = dl != 0 ? 1 / dl : 0
                pack(values + 32 * sub, subInverse, qs + 16 * sub)
                let stored = UInt8(truncatingIfNeeded: l &+ 32)
                if sub % 2 == 0 {
                    lowScales[sub / 2] = stored & 0xF
                } else {
                    lowScales[sub / 2] |= (stored & 0xF) &<< 4
                }
                high |= UInt16(stored &>> 4) &<< UInt16(2 * sub)
            }
            (block + highScalesOffset).storeBytes(of: high.littleEndian, as: UInt16.self)
        }
    }

    /// `ls − 32` of sub-block `sub`.
    @inline(__always)
    static func subScale(_ block: UnsafeRawPointer, _ sub: Int) -> Int32 {
        let low = (block.load(fromByteOffset: lowScalesOffset + sub / 2, as: UInt8.self) &>> UInt8(4 * (sub % 2))) & 0xF
        let high = UInt16(littleEndian: block.loadUnaligned(fromByteOffset: highScalesOffset, as: UInt16.self))
        let top = UInt8(truncatingIfNeeded: (high &>> UInt16(2 * sub)) & 3)
        return Int32(low | (top &<< 4)) &- 32
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLBlockBits.loadHalf(from: block)
        for sub in 0..<8 {
            GGMLIQ4Search.decodeScalar(block + quantsOffset + 16 * sub, scale: d * Float(subScale(block, sub)), into: values + 32 * sub)
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLBlockBits.loadHalf(from: block)
        for sub in 0..<8 {
            GGMLIQ4Search.decodeSIMD(block + quantsOffset + 16 * sub, scale: d * Float(subScale(block, sub)), into: values + 32 * sub)
        }
    }
}
