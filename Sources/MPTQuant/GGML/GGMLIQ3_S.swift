import MPTFormats

/// ggml `IQ3_S`: super-blocks of 256 values in 8 sub-blocks of 32, each group of 4 values a
/// point of the 512-point IQ3 lattice (110 bytes: binary16 `d`; `qs[64]`, the low 8 bits of one
/// grid index per group; `qh[8]`, bit k of byte `ib` the ninth bit of group k of sub-block `ib`;
/// `signs[32]`, one sign byte per 8 values; `scales[4]`, the 4-bit scales `ls` of sub-blocks
/// `2j` / `2j+1` in the low / high nibble of byte j). A value is `d · (1 + 2·ls) · grid[j] · ±1`.
///
/// Byte-identical to `quantize_row_iq3_s_impl(32, …)` (`quantize_iq3_s`), with the importance or
/// without it (weights `x²`), including its quirk: a sub-block stored as zero does not advance
/// the `qs`/`signs` positions, so the next stored sub-block's quants and signs take its place
/// while `qh` and `scales` stay at the sub-block's own index. Scalar only, as IQ3_XXS.
enum GGMLIQ3_S: GGMLIQ3Format {
    static let type = GGMLType.iq3_S
    static let blockSize = 256
    static let highBitsOffset = 2 + 64, signsOffset = 2 + 64 + 8, scalesOffset = 2 + 64 + 8 + 32

    static let rules = GGMLIQ3Search.Rules.s
    static func writer(_ block: UnsafeMutableRawPointer) -> Writer { Writer(block: block) }

    /// Stores what `GGMLIQ3Search` found in the IQ3_S layout.
    struct Writer: GGMLIQ3BlockWriter {
        let block: UnsafeMutableRawPointer
        func clear() {
            block.initializeMemory(as: UInt8.self, repeating: 0, count: GGMLType.iq3_S.typeSize)
        }
        func store(subBlock: Int, slot: Int, gridIndices: UnsafePointer<Int>, signs: UnsafePointer<UInt8>) {
            var high = block.load(fromByteOffset: highBitsOffset + subBlock, as: UInt8.self)
            for k in 0..<8 {
                block.storeBytes(of: UInt8(truncatingIfNeeded: gridIndices[k]), toByteOffset: 2 + 8 * slot + k, as: UInt8.self)
                high |= UInt8(truncatingIfNeeded: (gridIndices[k] >> 8) << k)
            }
            block.storeBytes(of: high, toByteOffset: highBitsOffset + subBlock, as: UInt8.self)
            for k in 0..<4 { block.storeBytes(of: signs[k], toByteOffset: signsOffset + 4 * slot + k, as: UInt8.self) }
        }
        func store(scale d: Float, levels: UnsafePointer<Int32>) {
            GGMLBlockBits.storeHalf(d * 1.033, to: block)
            for j in 0..<4 {
                let packed = UInt8(truncatingIfNeeded: levels[2 * j] | levels[2 * j + 1] << 4)
                block.storeBytes(of: packed, toByteOffset: scalesOffset + j, as: UInt8.self)
            }
        }
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLBlockBits.loadHalf(from: block)
        for ib in 0..<8 {
            let nibbles = block.load(fromByteOffset: scalesOffset + ib / 2, as: UInt8.self)
            let ls = ib % 2 == 0 ? nibbles & 0xF : nibbles >> 4
            let db = d * Float(1 + 2 * Int32(ls))
            let high = Int(block.load(fromByteOffset: highBitsOffset + ib, as: UInt8.self))
            for group in 0..<8 {
                let low = Int(block.load(fromByteOffset: 2 + 8 * ib + group, as: UInt8.self))
                let point = GGMLIQGridTables.iq3sGrid[low | ((high >> group) & 1) << 8]
                let signs = block.load(fromByteOffset: signsOffset + 4 * ib + group / 2, as: UInt8.self)
                for j in 0..<4 {
                    let magnitude = Float((point >> (8 * UInt32(j))) & 0xFF)
                    let negative = signs & (1 << UInt8(4 * (group % 2) + j)) != 0
                    values[32 * ib + 4 * group + j] = db * magnitude * (negative ? -1 : 1)
                }
            }
        }
    }
}
