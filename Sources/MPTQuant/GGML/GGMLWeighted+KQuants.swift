import MPTCore

/// The imatrix paths of Q2_K, Q3_K and Q6_K (`quantize_row_<type>_impl` with `quant_weights`),
/// one super-block of 256 at a time. Q4_K and Q5_K have theirs in `GGMLScaleMinFormat`.

/// `σ²`-scaled weights of one super-block, `qw · sqrt(σ² + x²)`, with `σ² = factor · Σx² / 256`
/// (Q2_K: factor 1, Q3_K, Q4_K, Q5_K: 2).
enum GGMLSuperBlockWeights {
    @inline(__always)
    static func sigma2(_ values: UnsafePointer<Float>, factor: Float) -> Float {
        var sumX2: Float = 0
        for j in 0..<256 { sumX2 += values[j] * values[j] }
        return factor == 1 ? sumX2 / 256 : factor * sumX2 / 256
    }

    /// Fills the `count` weights `qw · sqrt(σ² + x²)` of one sub-block and returns their sum
    /// (ggml's `sw[j]`, summed in index order).
    @inline(__always)
    static func fill(
        _ weights: UnsafeMutablePointer<Float>, values: UnsafePointer<Float>, importance: UnsafePointer<Float>,
        sigma2: Float, count: Int
    ) -> Float {
        GGMLRowWeights.fill(weights, values: values, importance: importance, sigma2: sigma2, count: count)
        var sum: Float = 0
        for l in 0..<count { sum += weights[l] }
        return sum
    }
}

extension GGMLQ2_K: GGMLWeightedBlockFormat {
    /// `quantize_row_q2_K_impl`: per sub-block of 16, `make_qkx3_quants(16, 3, …, −0.9, 0.05,
    /// 36)`; scales and mins to 4 bits by `make_qp_quants(16, 15, …, Σw)`; quants recomputed.
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16 + 32) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 256 + 48) { floats in
                guard let quants = bytes.baseAddress, let weights = floats.baseAddress else { return }
                let scratch = quants + 256, scaleLevels = quants + 272, minLevels = quants + 288
                let scales = weights + 256, mins = weights + 272, sums = weights + 288
                let sigma2 = GGMLSuperBlockWeights.sigma2(values, factor: 1)
                for sub in 0..<16 {
                    sums[sub] = GGMLSuperBlockWeights.fill(
                        weights + 16 * sub, values: values + 16 * sub, importance: importance + 16 * sub, sigma2: sigma2, count: 16)
                }
                if GGMLLowBit.allFinite(values, count: blockSize) {
                    KernelLevel.quantKernels.scaleMinScales(
                        values, weights: weights, groupSize: 16, maxLevel: 3, rmin: -0.9, rdelta: 0.05, steps: 36,
                        meanAbsolute: false, flatWhenMaxNotAbove: true, scales: scales, negatedMins: mins, levels: quants)
                } else {
                    for sub in 0..<16 {
                        let found = GGMLKQuantSearch.scaleMin(
                            values + 16 * sub, weights: weights + 16 * sub, count: 16, maxLevel: 3, rmin: -0.9, rdelta: 0.05,
                            steps: 36, levels: quants + 16 * sub, scratch: scratch, variant: .qkx3)
                        scales[sub] = found.scale
                        mins[sub] = found.negatedMin
                    }
                }
                let d = GGMLKQuantSearch.positiveScale(scales, count: 16, maxLevel: 15, levels: scaleLevels, weights: sums)
                let dmin = GGMLKQuantSearch.positiveScale(mins, count: 16, maxLevel: 15, levels: minLevels, weights: sums)
                GGMLLowBit.storeHalf(d, block, at: scaleOffset)
                GGMLLowBit.storeHalf(dmin, block, at: minOffset)
                let packed = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
                for sub in 0..<16 { packed[sub] = scaleLevels[sub] | (minLevels[sub] &<< 4) }
                requantize(values, quants: quants, block: block)
            }
        }
    }
}

extension GGMLQ3_K: GGMLWeightedBlockFormat {
    /// `quantize_row_q3_K_impl`: per sub-block of 16, `make_qx_quants(16, 4, x, L, 1, w)`; the
    /// sixteen scales by `make_qx_quants(16, 32, scales, Ls, 1, Σw)`; quants recomputed.
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256 + 16) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 256 + 32) { floats in
                guard let quants = bytes.baseAddress, let weights = floats.baseAddress else { return }
                let scaleLevels = quants + 256
                let scales = weights + 256, sums = weights + 272
                let sigma2 = GGMLSuperBlockWeights.sigma2(values, factor: 2)
                for sub in 0..<16 {
                    sums[sub] = GGMLSuperBlockWeights.fill(
                        weights + 16 * sub, values: values + 16 * sub, importance: importance + 16 * sub, sigma2: sigma2, count: 16)
                }
                if GGMLLowBit.allFinite(values, count: blockSize) {
                    quants.withMemoryRebound(to: UInt8.self, capacity: 256) {
                        KernelLevel.quantKernels.symmetricScales(values, weights: weights, maxLevel: 4, scales: scales, levels: $0)
                    }
                } else {
                    for sub in 0..<16 {
                        scales[sub] = GGMLKQuantSearch.symmetricScale(
                            values + 16 * sub, count: 16, maxLevel: 4, levels: quants + 16 * sub, weights: weights + 16 * sub)
                    }
                }
                let packed = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
                for index in 0..<12 { packed[index] = 0 }
                let d = GGMLKQuantSearch.symmetricScale(scales, count: 16, maxLevel: 32, levels: scaleLevels, weights: sums)
                for sub in 0..<16 { storeScaleLevel(UInt8(bitPattern: scaleLevels[sub]), sub: sub, packed: packed) }
                GGMLLowBit.storeHalf(d, block, at: scaleOffset)
                quants.withMemoryRebound(to: UInt8.self, capacity: 256) { requantize(values, quants: $0, block: block) }
            }
        }
    }
}

extension GGMLQ6_K: GGMLWeightedBlockFormat {
    /// `quantize_row_q6_K_impl`: each group of 16 searched by `make_qx_quants(16, 32, x, L, 1,
    /// qw)` with the importance itself as the weights (ggml's σ² weighting is commented out).
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: blockSize) { levels in
            guard let levels = levels.baseAddress else { return }
            var scales = SIMD16<Float>(repeating: 0)
            if GGMLLowBit.allFinite(values, count: blockSize) {
                // The sixteen searches side by side (the kernels' `make_qx_quants` with `qw`).
                withUnsafeTemporaryAllocation(of: Float.self, capacity: groups) { found in
                    guard let found = found.baseAddress else { return }
                    levels.withMemoryRebound(to: UInt8.self, capacity: blockSize) {
                        KernelLevel.quantKernels.symmetricScales(values, weights: importance, maxLevel: 32, scales: found, levels: $0)
                    }
                    scales = UnsafeRawPointer(found).loadUnaligned(as: SIMD16<Float>.self)
                }
            } else {
                for group in 0..<groups {
                    scales[group] = GGMLKQuantSearch.symmetricScale(
                        values + groupSize * group, count: groupSize, maxLevel: 32, levels: levels + groupSize * group,
                        weights: importance + groupSize * group)
                }
            }
            finish(values, scales: scales, levels: levels, into: block, simd: false)
        }
    }
}
