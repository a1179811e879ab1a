/// The imatrix paths of the legacy 32-value types (`quantize_row_q4_0_impl`, `q4_1`, `q5_0`,
/// `q5_1`): `σ² = Σx²/n_per_row` over the row, weights `qw · sqrt(σ² + x²)` per block, then
/// `make_qx_quants(32, nmax, x, L, 1, w)` (Q4_0: nmax 8, Q5_0: 16) for a signed scale, or
/// `make_qkx3_quants(32, nmax, x, w, L, &min, Laux, −0.9, 0.05, 36, false)` (Q4_1: 15, Q5_1: 31)
/// for a scale and min (`m = −the_min` stored as f16).
enum GGMLLegacyWeighted {
    /// One row: `body(block, weights)` per block of 32 after filling its weights.
    @inline(__always)
    static func forEachBlock(
        _ values: UnsafePointer<Float>, count: Int, importance: UnsafePointer<Float>,
        _ body: (_ block: Int, _ weights: UnsafePointer<Float>) -> Void
    ) {
        let sigma2 = GGMLRowWeights.rowSigma2(values, count: count)
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 32) { buffer in
            guard let weights = buffer.baseAddress else { return }
            for block in 0..<(count / 32) {
                GGMLRowWeights.fill(weights, values: values + 32 * block, importance: importance + 32 * block, sigma2: sigma2, count: 32)
                body(block, weights)
            }
        }
    }

    /// `make_qx_quants(32, nmax, x, L, 1, weights)`; `levels` get `l + nmax`.
    @inline(__always)
    static func signedScale(
        _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, maxLevel: Int32, levels: UnsafeMutablePointer<UInt8>
    ) -> Float {
        levels.withMemoryRebound(to: Int8.self, capacity: 32) {
            GGMLKQuantSearch.symmetricScale(x, count: 32, maxLevel: maxLevel, levels: $0, weights: weights)
        }
    }

    /// `make_qkx3_quants(32, nmax, x, weights, L, &the_min, Laux, -0.9f, 0.05f, 36, false)`.
    @inline(__always)
    static func scaleMin(
        _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, maxLevel: Int32,
        levels: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>
    ) -> (scale: Float, negatedMin: Float) {
        GGMLKQuantSearch.scaleMin(
            x, weights: weights, count: 32, maxLevel: maxLevel, rmin: -0.9, rdelta: 0.05, steps: 36,
            levels: levels, scratch: scratch, variant: .qkx3)
    }

    /// `qs[j] = L[j] | L[j+16] << 4` (low four bits) and, for 5-bit types, bit 4 of element `j`
    /// as bit `j` of the little-endian u32 at `highBitsOffset`.
    @inline(__always)
    static func pack(
        _ levels: UnsafePointer<UInt8>, into block: UnsafeMutableRawPointer, quantsOffset: Int, highBitsOffset: Int?
    ) {
        let quants = (block + quantsOffset).assumingMemoryBound(to: UInt8.self)
        var highBits: UInt32 = 0
        for j in 0..<16 {
            let low = levels[j], high = levels[j + 16]
            quants[j] = (low & 0x0F) | ((high & 0x0F) &<< 4)
            highBits |= UInt32((low & 0x10) >> 4) << UInt32(j)
            highBits |= UInt32((high & 0x10) >> 4) << UInt32(j + 16)
        }
        if let highBitsOffset { (block + highBitsOffset).storeBytes(of: highBits.littleEndian, as: UInt32.self) }
    }

    /// One row of a legacy type: per block of 32 the signed scale (`d` at 0) or the scale and
    /// min (`d` at 0, `m` at 2), then the quants packed.
    @inline(__always)
    static func row<Format: GGMLLegacyWeightedFormat>(
        _ format: Format.Type, _ values: UnsafePointer<Float>, count: Int, importance: UnsafePointer<Float>,
        into blocks: UnsafeMutableRawPointer
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer in
            guard let levels = buffer.baseAddress else { return }
            forEachBlock(values, count: count, importance: importance) { block, weights in
                let output = blocks + block * Format.type.typeSize
                let x = values + 32 * block
                if Format.withMin {
                    let found = scaleMin(x, weights: weights, maxLevel: Format.weightedMaxLevel, levels: levels, scratch: levels + 32)
                    GGMLBlockBits.storeHalf(found.scale, to: output, at: 0)
                    GGMLBlockBits.storeHalf(-found.negatedMin, to: output, at: 2)
                } else {
                    let d = signedScale(x, weights: weights, maxLevel: Format.weightedMaxLevel, levels: levels)
                    GGMLBlockBits.storeHalf(d, to: output, at: 0)
                }
                pack(levels, into: output, quantsOffset: Format.quantsOffset, highBitsOffset: Format.highBitsOffset)
            }
        }
    }
}

/// A legacy 32-value type's imatrix parameters: `nmax` of its search, whether it stores a min,
/// and where its quant bytes (and, for 5-bit types, the high-bit word) sit in the block.
protocol GGMLLegacyWeightedFormat: GGMLWeightedFormat {
    static var weightedMaxLevel: Int32 { get }
    static var withMin: Bool { get }
    static var quantsOffset: Int { get }
    static var highBitsOffset: Int? { get }
}

extension GGMLLegacyWeightedFormat {
    static func quantizeRowWeighted(
        _ values: UnsafePointer<Float>, count: Int, importance: UnsafePointer<Float>, into blocks: UnsafeMutableRawPointer
    ) {
        GGMLLegacyWeighted.row(Self.self, values, count: count, importance: importance, into: blocks)
    }
}

extension GGMLQ4_0: GGMLLegacyWeightedFormat {
    static let weightedMaxLevel: Int32 = 8, withMin = false, quantsOffset = 2, highBitsOffset: Int? = nil
}

extension GGMLQ5_0: GGMLLegacyWeightedFormat {
    static let weightedMaxLevel: Int32 = 16, withMin = false, quantsOffset = 6, highBitsOffset: Int? = 2
}

extension GGMLQ4_1: GGMLLegacyWeightedFormat {
    static let weightedMaxLevel: Int32 = 15, withMin = true, quantsOffset = 4, highBitsOffset: Int? = nil
}

extension GGMLQ5_1: GGMLLegacyWeightedFormat {
    static let weightedMaxLevel: Int32 = 31, withMin = true, quantsOffset = 8, highBitsOffset: Int? = 4
}
