import MPTFormats

/// ggml `IQ3_XXS`: super-blocks of 256 values in 8 sub-blocks of 32, each group of 4 values a
/// point of the 256-point IQ3 lattice (98 bytes: binary16 `d`; `qs[64]`, one grid index per
/// group, 8 per sub-block; then 8 little-endian u32, one per sub-block, holding four 7-bit sign
/// codes (groups of 8 values, `ksigns_iq2xs` supplies the eighth sign) at bits 0, 7, 14, 21 and a
/// 4-bit scale `ls` at bits 28…31). A value is `d · (0.5 + ls) · 0.5 · grid[j] · ±1`.
///
/// Byte-identical to `quantize_row_iq3_xxs_impl(256, …)`, with the importance (`quant_weights`)
/// or without it (weights `x²`, as `quantize_row_iq3_xxs_ref`). Scalar only: ggml has no SIMD
/// quantizer to compare, so the "SIMD" entry points run the scalar code.
enum GGMLIQ3_XXS: GGMLIQ3Format {
    static let type = GGMLType.iq3_XXS
    static let blockSize = 256
    static let signsOffset = 2 + 64

    static let rules = GGMLIQ3Search.Rules.xxs
    static func writer(_ block: UnsafeMutableRawPointer) -> Writer { Writer(block: block) }

    /// Stores what `GGMLIQ3Search` found in the IQ3_XXS layout.
    struct Writer: GGMLIQ3BlockWriter {
        let block: UnsafeMutableRawPointer
        func clear() {
            block.initializeMemory(as: UInt8.self, repeating: 0, count: 2 + 96)
        }
        func store(subBlock: Int, slot: Int, gridIndices: UnsafePointer<Int>, signs: UnsafePointer<UInt8>) {
            for k in 0..<8 { block.storeBytes(of: UInt8(truncatingIfNeeded: gridIndices[k]), toByteOffset: 2 + 8 * subBlock + k, as: UInt8.self) }
            let word = UInt32(signs[0]) | UInt32(signs[1]) << 7 | UInt32(signs[2]) << 14 | UInt32(signs[3]) << 21
            block.storeBytes(of: word.littleEndian, toByteOffset: signsOffset + 4 * subBlock, as: UInt32.self)
        }
        func store(scale d: Float, levels: UnsafePointer<Int32>) {
            GGMLBlockBits.storeHalf(d * 1.0125, to: block)
            for ib in 0..<8 {
                let offset = signsOffset + 4 * ib
                let word = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                block.storeBytes(of: (word | UInt32(bitPattern: levels[ib]) << 28).littleEndian, toByteOffset: offset, as: UInt32.self)
            }
        }
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLBlockBits.loadHalf(from: block)
        for ib in 0..<8 {
            let word = UInt32(littleEndian: block.loadUnaligned(fromByteOffset: signsOffset + 4 * ib, as: UInt32.self))
            let db = d * (0.5 + Float(word >> 28)) * 0.5
            for l in 0..<4 {
                let signs = GGMLIQGridTables.signs7[Int((word >> (7 * UInt32(l))) & 127)]
                for half in 0..<2 {
                    let index = Int(block.load(fromByteOffset: 2 + 8 * ib + 2 * l + half, as: UInt8.self))
                    let point = GGMLIQGridTables.iq3xxsGrid[index]
                    for j in 0..<4 {
                        let magnitude = Float((point >> (8 * UInt32(j))) & 0xFF)
                        let negative = signs & (1 << UInt8(4 * half + j)) != 0
                        values[32 * ib + 8 * l + 4 * half + j] = db * magnitude * (negative ? -1 : 1)
                    }
                }
            }
        }
    }
}
