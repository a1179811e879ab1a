import MPTFormats

/// ggml `Q4_K`: super-blocks of 256 values stored as `{ f16 d; f16 dmin; u8 scales[12];
/// u8 qs[128] }` (144 bytes). Eight groups of 32 each have a 6-bit scale `sc` and min `m`
/// (`GGMLScaleMinSuperBlock`, `make_qkx2_quants` with nmax 15, rmin −1, 20 steps); 4-bit levels
/// `q`, group pairs sharing bytes: `qs[32c + l]` holds element `64c + l` in its low nibble and
/// `64c + 32 + l` in its high nibble. Dequantize: `d·sc · q − dmin·m`.
/// Byte-identical to `quantize_row_q4_K_ref`.
enum GGMLQ4_K: GGMLScaleMinFormat {
    static let type = GGMLType.q4_K
    static let blockSize = 256
    static let search = GGMLScaleMinSuperBlock.Search(maxLevel: 15, rmin: -1, steps: 20)

    @inline(__always)
    static func pack(_ levels: UnsafePointer<UInt8>, into block: UnsafeMutableRawPointer) {
        let quants = (block + 16).assumingMemoryBound(to: UInt8.self)
        for chunk in 0..<4 {
            for l in 0..<32 {
                quants[32 * chunk + l] = levels[64 * chunk + l] | (levels[64 * chunk + l + 32] &<< 4)
            }
        }
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        GGMLScaleMinSuperBlock.forEachChunk(block) { chunk, d1, min1, d2, min2 in
            for l in 0..<32 {
                let byte = block.load(fromByteOffset: 16 + 32 * chunk + l, as: UInt8.self)
                values[64 * chunk + l] = d1 * Float(byte & 0x0F) - min1
                values[64 * chunk + 32 + l] = d2 * Float(byte >> 4) - min2
            }
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        GGMLScaleMinSuperBlock.forEachChunk(block) { chunk, d1, min1, d2, min2 in
            for part in 0..<4 {
                let bytes = block.loadUnaligned(fromByteOffset: 16 + 32 * chunk + 8 * part, as: SIMD8<UInt8>.self)
                let low = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes & 0x0F))
                let high = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: bytes &>> 4))
                GGMLBlockBits.store8(d1 * low - min1, values, 64 * chunk + 8 * part)
                GGMLBlockBits.store8(d2 * high - min2, values, 64 * chunk + 32 + 8 * part)
            }
        }
    }
}
