/// The imatrix paths of IQ4_NL and IQ4_XS: `quantize_row_iq4_nl_impl` with `quant_weights`, the
/// sub-block search weighted by `qw · sqrt(σ² + x²)` where `σ² = Σx² · (2 / super_block_size)`
/// over the block (32 values for IQ4_NL, 256 for IQ4_XS); everything else as without weights.
enum GGMLIQ4Weights {
    /// Runs `body` with the `count` weights of a super-block of `count` values.
    @inline(__always)
    static func with(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, count: Int, _ body: (UnsafePointer<Float>) -> Void
    ) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: count) { buffer in
            guard let weights = buffer.baseAddress else { return }
            var sigma2: Float = 0
            for j in 0..<count { sigma2 += values[j] * values[j] }
            sigma2 *= 2 / Float(count)
            GGMLRowWeights.fill(weights, values: values, importance: importance, sigma2: sigma2, count: count)
            body(weights)
        }
    }
}

extension GGMLIQ4_NL: GGMLWeightedBlockFormat {
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        GGMLIQ4Weights.with(values, importance: importance, count: blockSize) { weights in
            store(scale: GGMLIQ4Search.scaleScalar(values, weights: weights), values, into: block)
        }
    }
}

extension GGMLIQ4_XS: GGMLWeightedBlockFormat {
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        GGMLIQ4Weights.with(values, importance: importance, count: blockSize) { weights in
            encode(values, into: block, search: { x in GGMLIQ4Search.scaleScalar(x, weights: weights + (x - values)) },
                   pack: GGMLIQ4Search.packScalar)
        }
    }
}
