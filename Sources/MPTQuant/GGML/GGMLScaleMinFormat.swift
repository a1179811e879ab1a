import MPTCore

/// A K-quant with per-group scales and mins (`Q4_K`, `Q5_K`): the quantizers are shared
/// (`GGMLScaleMinSuperBlock`), each type gives its search parameters and how it packs levels.
protocol GGMLScaleMinFormat: GGMLWeightedBlockFormat {
    /// The `make_qkx2_quants` parameters of `quantize_row_<type>_ref`.
    static var search: GGMLScaleMinSuperBlock.Search { get }
    /// Writes the 256 final levels into the block's quant bytes.
    static func pack(_ levels: UnsafePointer<UInt8>, into block: UnsafeMutableRawPointer)
}

extension GGMLScaleMinFormat {
    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256) { levels in
            guard let levels = levels.baseAddress else { return }
            GGMLScaleMinSuperBlock.quantizeScalar(values, search: search, into: block, levels: levels)
            pack(levels, into: block)
        }
    }

    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        quantizeBlocksSIMD(values, count: 1, into: block)
    }

    /// Two super-blocks at a time: their sixteen groups' scale searches run in the sixteen lanes
    /// of the active `KernelLevel`'s `scaleMinScales` (same bits as scalar).
    static func quantizeBlocksSIMD(_ values: UnsafePointer<Float>, count: Int, into blocks: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { levels in
            guard let levels = levels.baseAddress else { return }
            let typeSize = type.typeSize
            var first = 0
            while first < count {
                let pair = count - first >= 2 ? 2 : 1
                let target = blocks + typeSize * first
                GGMLScaleMinSuperBlock.quantizeSIMD(
                    values + 256 * first, blocks: pair, search: search, into: target, typeSize: typeSize, levels: levels)
                for index in 0..<pair { pack(levels + 256 * index, into: target + typeSize * index) }
                first += pair
            }
        }
    }

    /// `quantize_row_<type>_impl` with `quant_weights` for one super-block: weights
    /// `qw · sqrt(σ² + x²)` with `σ² = 2·Σx²/256`, each group's scale and min from
    /// `make_qkx3_quants(32, nmax, …, −0.9, 0.05, 36)`, the scales and mins to 6 bits by
    /// `make_qp_quants(8, 63, …, Σw)`, then the final levels from the stored scales.
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        let groupSize = GGMLScaleMinSuperBlock.groupSize
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512 + 32 + 16) { bytes in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 1024 + 40) { floats in
                guard let levels = bytes.baseAddress, let weights = floats.baseAddress else { return }
                let scratch = levels + 512, scaleLevels = levels + 544, minLevels = levels + 552
                let copies = weights + 512, scales = weights + 1024, mins = weights + 1040, sums = weights + 1056
                let sigma2 = GGMLSuperBlockWeights.sigma2(values, factor: 2)
                for group in 0..<GGMLScaleMinSuperBlock.groups {
                    let offset = groupSize * group
                    sums[group] = GGMLSuperBlockWeights.fill(
                        weights + offset, values: values + offset, importance: importance + offset, sigma2: sigma2, count: groupSize)
                }
                if GGMLLowBit.allFinite(values, count: 256) {
                    // The eight searches in the kernels' sixteen lanes, beside a copy of themselves.
                    (weights + 256).update(from: weights, count: 256)
                    copies.update(from: values, count: 256)
                    (copies + 256).update(from: values, count: 256)
                    KernelLevel.quantKernels.scaleMinScales(
                        copies, weights: weights, groupSize: groupSize, maxLevel: search.maxLevel, rmin: -0.9, rdelta: 0.05,
                        steps: 36, meanAbsolute: false, flatWhenMaxNotAbove: true, scales: scales, negatedMins: mins, levels: levels)
                } else {
                    for group in 0..<GGMLScaleMinSuperBlock.groups {
                        let offset = groupSize * group
                        let found = GGMLKQuantSearch.scaleMin(
                            values + offset, weights: weights + offset, count: groupSize, maxLevel: search.maxLevel, rmin: -0.9,
                            rdelta: 0.05, steps: 36, levels: levels + offset, scratch: scratch, variant: .qkx3)
                        scales[group] = found.scale
                        mins[group] = found.negatedMin
                    }
                }
                let superScale = GGMLKQuantSearch.positiveScale(scales, count: 8, maxLevel: 63, levels: scaleLevels, weights: sums)
                let superMin = GGMLKQuantSearch.positiveScale(mins, count: 8, maxLevel: 63, levels: minLevels, weights: sums)
                var packedScales = SIMD8<UInt8>(repeating: 0), packedMins = packedScales
                for group in 0..<8 {
                    packedScales[group] = min(63, scaleLevels[group])
                    packedMins[group] = min(63, minLevels[group])
                }
                GGMLScaleMinSuperBlock.store(
                    scaleLevels: packedScales, minLevels: packedMins, superScale: superScale, superMin: superMin, into: block)
                GGMLScaleMinSuperBlock.requantize(values, maxLevel: search.maxLevel, block: block, levels: levels, simd: false)
                pack(levels, into: block)
            }
        }
    }
}
