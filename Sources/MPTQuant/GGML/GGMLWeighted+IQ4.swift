/// The imatrix paths of IQ4_NL and IQ4_XS: `quantize_row_iq4_nl_impl` with `quant_weights`, the
/// sub-block search weighted by `qw · sqrt(σ² + x²)` where `σ² = Σx² · (2 / super_block_size)`
/// over the block (32 values for IQ4_NL, 256 for IQ4_XS); everything else as without weights.
enum GGMLIQ4Weights {
    /// Fills `weights[0..<count]` for a super-block of `count` values.
    @inline(__always)
    static func fill(
        _ weights: UnsafeMutablePointer<Float>, values: UnsafePointer<Float>, importance: UnsafePointer<Float>, count: Int
    ) {
        var sigma2: Float = 0
        for j in 0..<count { sigma2 += values[j] * values[j] }
        sigma2 *= 2 / Float(count)
        GGMLRowWeights.fill(weights, values: values, importance: importance, sigma2: sigma2, count: count)
    }
}

extension GGMLIQ4_NL: GGMLWeightedBlockFormat {
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { buffer in
            guard let weights = buffer.baseAddress else { return }
            GGMLIQ4Weights.fill(weights, values: values, importance: importance, count: blockSize)
            let scale = GGMLIQ4Search.scaleScalar(values, weights: weights)
            GGMLBlockBits.storeHalf(scale, to: block)
            let inverse: Float = scale != 0 ? 1 / scale : 0
            GGMLIQ4Search.packScalar(values, inverse: inverse, into: (block + 2).assumingMemoryBound(to: UInt8.self))
        }
    }
}

extension GGMLIQ4_XS: GGMLWeightedBlockFormat {
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize) { buffer in
            guard let weights = buffer.baseAddress else { return }
            GGMLIQ4Weights.fill(weights, values: values, importance: importance, count: blockSize)
            let base = UnsafePointer(weights)
            encode(values, into: block, search: { x in GGMLIQ4Search.scaleScalar(x, weights: base + (x - values)) },
                   pack: GGMLIQ4Search.packScalar)
        }
    }
}
