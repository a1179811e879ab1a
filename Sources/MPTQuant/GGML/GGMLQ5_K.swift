import MPTFormats

/// ggml `Q5_K`: super-blocks of 256 values stored as `{ f16 d; f16 dmin; u8 scales[12];
/// u8 qh[32]; u8 qs[128] }` (176 bytes). Scales and mins as in `Q4_K` (`make_qkx2_quants` with
/// nmax 31, rmin −0.5, 15 steps); 5-bit levels `q`: the low four bits are laid out like `Q4_K`'s
/// nibbles, bit 4 of element `64c + l` is bit `2c` of `qh[l]` and of element `64c + 32 + l` bit
/// `2c + 1`. Dequantize: `d·sc · q − dmin·m`. Byte-identical to `quantize_row_q5_K_ref`.
enum GGMLQ5_K: GGMLScaleMinFormat {
    static let type = GGMLType.q5_K
    static let blockSize = 256
    static let search = GGMLScaleMinSuperBlock.Search(maxLevel: 31, rmin: -0.5, steps: 15)

    @inline(__always)
    static func pack(_ levels: UnsafePointer<UInt8>, into block: UnsafeMutableRawPointer) {
        let high = (block + 16).assumingMemoryBound(to: UInt8.self)
        let low = (block + 48).assumingMemoryBound(to: UInt8.self)
        for j in 0..<32 { high[j] = 0 }
        for chunk in 0..<4 {
            let bit1 = UInt8(1) &<< UInt8(2 * chunk), bit2 = UInt8(2) &<< UInt8(2 * chunk)
            for j in 0..<32 {
                var l1 = levels[64 * chunk + j]
                if l1 > 15 { l1 &-= 16; high[j] |= bit1 }
                var l2 = levels[64 * chunk + j + 32]
                if l2 > 15 { l2 &-= 16; high[j] |= bit2 }
                low[32 * chunk + j] = l1 | (l2 &<< 4)
            }
        }
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        GGMLScaleMinSuperBlock.forEachChunk(block) { chunk, d1, min1, d2, min2 in
            let bit1 = UInt8(1) &<< UInt8(2 * chunk), bit2 = UInt8(2) &<< UInt8(2 * chunk)
            for l in 0..<32 {
                let byte = block.load(fromByteOffset: 48 + 32 * chunk + l, as: UInt8.self)
                let high = block.load(fromByteOffset: 16 + l, as: UInt8.self)
                values[64 * chunk + l] = d1 * Float(Int32(byte & 0x0F) + (high & bit1 != 0 ? 16 : 0)) - min1
                values[64 * chunk + 32 + l] = d2 * Float(Int32(byte >> 4) + (high & bit2 != 0 ? 16 : 0)) - min2
            }
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        GGMLScaleMinSuperBlock.forEachChunk(block) { chunk, d1, min1, d2, min2 in
            let shift1 = SIMD8<Int32>(repeating: Int32(2 * chunk)), shift2 = shift1 &+ 1
            for part in 0..<4 {
                let bytes = SIMD8<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 48 + 32 * chunk + 8 * part, as: SIMD8<UInt8>.self))
                let high = SIMD8<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 16 + 8 * part, as: SIMD8<UInt8>.self))
                let low = (bytes & 0x0F) | (((high &>> shift1) & 1) &<< 4)
                let top = (bytes &>> 4) | (((high &>> shift2) & 1) &<< 4)
                GGMLBlockBits.store8(d1 * SIMD8<Float>(low) - min1, values, 64 * chunk + 8 * part)
                GGMLBlockBits.store8(d2 * SIMD8<Float>(top) - min2, values, 64 * chunk + 32 + 8 * part)
            }
        }
    }
}
