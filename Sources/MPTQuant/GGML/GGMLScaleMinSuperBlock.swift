import MPTCore

/// What `Q4_K` and `Q5_K` share (`quantize_row_q4_K_ref` / `quantize_row_q5_K_ref` up to the
/// packing of the quants): a 256-value super-block in eight groups of 32, each with a scale and
/// a min from `make_qkx2_quants` (weights `sqrt(Σx²/32) + |x|`), the scales and mins quantized to
/// 6 bits against `d = max_scale / 63` and `dmin = max_min / 63` (f16 at bytes 0 and 2), packed
/// into the 12 bytes at offset 4 as `get_scale_min_k4` reads them, and the final levels
/// `nearest_int((x + dmin·m) / (d·sc))` clamped to `[0, maxLevel]` (a group whose `d·sc` is zero
/// keeps its levels from the search, as ggml does).
enum GGMLScaleMinSuperBlock {
    static let groups = 8
    static let groupSize = 32

    /// The search parameters of one type (`nmax`, `rmin`, `nstep`; `rdelta` is 0.1 for both).
    struct Search {
        let maxLevel: Int32
        let rmin: Float
        let steps: Int
    }

    /// Writes `d`, `dmin` and the 12 scale bytes of `block` and fills `levels[0..<256]`, one
    /// group after another (the scalar reference).
    static func quantizeScalar(
        _ values: UnsafePointer<Float>, search: Search, into block: UnsafeMutableRawPointer, levels: UnsafeMutablePointer<UInt8>
    ) {
        var scales = SIMD8<Float>(repeating: 0), mins = scales
        withUnsafeTemporaryAllocation(of: Float.self, capacity: groupSize) { weights in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: groupSize) { scratch in
                guard let weights = weights.baseAddress, let scratch = scratch.baseAddress else { return }
                for group in 0..<groups {
                    let x = values + groupSize * group
                    var sumX2: Float = 0
                    for l in 0..<groupSize { sumX2 += x[l] * x[l] }
                    let average = (sumX2 / 32).squareRoot()
                    for l in 0..<groupSize { weights[l] = average + abs(x[l]) }
                    let found = GGMLKQuantSearch.scaleMin(
                        x, weights: weights, count: groupSize, maxLevel: search.maxLevel, rmin: search.rmin, rdelta: 0.1,
                        steps: search.steps, levels: levels + groupSize * group, scratch: scratch)
                    scales[group] = found.scale
                    mins[group] = found.negatedMin
                }
            }
        }
        finish(values, scales: scales, mins: mins, maxLevel: search.maxLevel, into: block, levels: levels, simd: false)
    }

    /// `quantizeScalar` for `blocks` (1 or 2) consecutive super-blocks at once: their 8 or 16
    /// groups are searched side by side by the active `KernelLevel`'s `scaleMinScales` (one block
    /// is searched beside a copy of itself). `levels` gets 256 per block. A block holding NaN or
    /// ±inf takes `quantizeScalar`.
    static func quantizeSIMD(
        _ values: UnsafePointer<Float>, blocks: Int, search: Search, into block: UnsafeMutableRawPointer, typeSize: Int,
        levels: UnsafeMutablePointer<UInt8>
    ) {
        let finite = (0..<blocks).allSatisfy { GGMLLowBit.allFinite(values + 256 * $0, count: 256) }
        guard finite else {
            for index in 0..<blocks {
                quantizeScalar(values + 256 * index, search: search, into: block + typeSize * index, levels: levels + 256 * index)
            }
            return
        }
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 2 * 512 + 32) { buffer in
            guard let base = buffer.baseAddress else { return }
            let x = base, weights = base + 512, scales = base + 1024, mins = base + 1040
            for index in 0..<2 {
                let source = values + 256 * (blocks == 2 ? index : 0)
                (x + 256 * index).update(from: source, count: 256)
            }
            for group in 0..<(2 * groups) {
                let g = x + groupSize * group
                var sumX2: Float = 0
                for l in 0..<groupSize { sumX2 += g[l] * g[l] }
                let average = (sumX2 / 32).squareRoot()
                for l in 0..<groupSize { weights[groupSize * group + l] = average + abs(g[l]) }
            }
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 512) { found in
                guard let found = found.baseAddress else { return }
                KernelLevel.quantKernels.scaleMinScales(
                    x, weights: weights, groupSize: groupSize, maxLevel: search.maxLevel, rmin: search.rmin, rdelta: 0.1,
                    steps: search.steps, meanAbsolute: false, flatWhenMaxNotAbove: false, scales: scales, negatedMins: mins, levels: found)
                for index in 0..<blocks {
                    (levels + 256 * index).update(from: found + 256 * index, count: 256)
                    let blockScales = UnsafeRawPointer(scales + 8 * index).loadUnaligned(as: SIMD8<Float>.self)
                    let blockMins = UnsafeRawPointer(mins + 8 * index).loadUnaligned(as: SIMD8<Float>.self)
                    finish(
                        values + 256 * index, scales: blockScales, mins: blockMins, maxLevel: search.maxLevel,
                        into: block + typeSize * index, levels: levels + 256 * index, simd: true)
                }
            }
        }
    }

    /// The super-block scales, the packed 6-bit scales and mins, and the final levels.
    @inline(__always)
    private static func finish(
        _ values: UnsafePointer<Float>, scales: SIMD8<Float>, mins: SIMD8<Float>, maxLevel: Int32,
        into block: UnsafeMutableRawPointer, levels: UnsafeMutablePointer<UInt8>, simd: Bool
    ) {
        var maxScale: Float = 0, maxMin: Float = 0
        for group in 0..<groups {
            if scales[group] > maxScale { maxScale = scales[group] }
            if mins[group] > maxMin { maxMin = mins[group] }
        }
        let inverseScale: Float = maxScale > 0 ? 63 / maxScale : 0
        let inverseMin: Float = maxMin > 0 ? 63 / maxMin : 0
        var scaleLevels = SIMD8<UInt8>(repeating: 0), minLevels = scaleLevels
        for group in 0..<groups {
            scaleLevels[group] = min(63, UInt8(truncatingIfNeeded: GGMLBlockBits.nearestInt(inverseScale * scales[group])))
            minLevels[group] = min(63, UInt8(truncatingIfNeeded: GGMLBlockBits.nearestInt(inverseMin * mins[group])))
        }
        store(scaleLevels: scaleLevels, minLevels: minLevels, superScale: maxScale / 63, superMin: maxMin / 63, into: block)
        requantize(values, maxLevel: maxLevel, block: block, levels: levels, simd: simd)
    }

    /// Packs the 6-bit scale and min levels into the 12 bytes at offset 4 (as
    /// `get_scale_min_k4` reads them) and stores `d` and `dmin` as f16 at 0 and 2.
    @inline(__always)
    static func store(
        scaleLevels: SIMD8<UInt8>, minLevels: SIMD8<UInt8>, superScale: Float, superMin: Float,
        into block: UnsafeMutableRawPointer
    ) {
        let packed = (block + 4).assumingMemoryBound(to: UInt8.self)
        for group in 0..<groups {
            let ls = scaleLevels[group], lm = minLevels[group]
            if group < 4 {
                packed[group] = ls
                packed[group + 4] = lm
            } else {
                packed[group + 4] = (ls & 0x0F) | ((lm & 0x0F) &<< 4)
                packed[group - 4] |= (ls >> 4) &<< 6
                packed[group] |= (lm >> 4) &<< 6
            }
        }
        GGMLBlockBits.storeHalf(superScale, to: block, at: 0)
        GGMLBlockBits.storeHalf(superMin, to: block, at: 2)
    }

    /// The final levels `clamp(nearest_int((x + dmin·m) / (d·sc)), 0, maxLevel)` from the stored
    /// (f16) `d`, `dmin` and 6-bit scales; a group whose `d·sc` is zero keeps its levels.
    @inline(__always)
    static func requantize(
        _ values: UnsafePointer<Float>, maxLevel: Int32, block: UnsafeMutableRawPointer,
        levels: UnsafeMutablePointer<UInt8>, simd: Bool
    ) {
        let packed = (block + 4).assumingMemoryBound(to: UInt8.self)
        let superScale = GGMLBlockBits.loadHalf(from: block, at: 0)
        let superMin = GGMLBlockBits.loadHalf(from: block, at: 2)
        for group in 0..<groups {
            let (scaleLevel, minLevel) = scaleMin(group, packed: UnsafePointer(packed))
            let scale = superScale * Float(scaleLevel)
            if scale == 0 { continue }
            let offset = superMin * Float(minLevel)
            let x = values + groupSize * group
            let out = levels + groupSize * group
            if simd {
                for part in 0..<(groupSize / 8) {
                    let shifted = (GGMLBlockBits.load8(x, 8 * part) + offset) / scale
                    let level = GGMLKQuantSearch.clamp(GGMLBlockBits.nearestInt(shifted), 0, maxLevel)
                    (UnsafeMutableRawPointer(out) + 8 * part).storeBytes(of: SIMD8<UInt8>(truncatingIfNeeded: level), as: SIMD8<UInt8>.self)
                }
            } else {
                for i in 0..<groupSize {
                    let level = GGMLKQuantSearch.clamp(GGMLBlockBits.nearestInt((x[i] + offset) / scale), 0, maxLevel)
                    out[i] = UInt8(truncatingIfNeeded: level)
                }
            }
        }
    }

    /// The decoders' preamble (`dequantize_row_q4_K` / `q5_K`): `d` and `dmin` once, then for each
    /// chunk `c` of 64 values (groups `2c` and `2c + 1`) `body(c, d·sc₁, dmin·m₁, d·sc₂, dmin·m₂)`.
    @inline(__always)
    static func forEachChunk(
        _ block: UnsafeRawPointer, _ body: (_ chunk: Int, _ d1: Float, _ min1: Float, _ d2: Float, _ min2: Float) -> Void
    ) {
        let d = GGMLBlockBits.loadHalf(from: block, at: 0)
        let dmin = GGMLBlockBits.loadHalf(from: block, at: 2)
        let packed = (block + 4).assumingMemoryBound(to: UInt8.self)
        for chunk in 0..<4 {
            let (sc1, m1) = scaleMin(2 * chunk, packed: packed)
            let (sc2, m2) = scaleMin(2 * chunk + 1, packed: packed)
            body(chunk, d * Float(sc1), dmin * Float(m1), d * Float(sc2), dmin * Float(m2))
        }
    }

    /// ggml's `get_scale_min_k4`: the 6-bit scale and min of group `j` from the 12 packed bytes.
    @inline(__always)
    static func scaleMin(_ j: Int, packed q: UnsafePointer<UInt8>) -> (scale: UInt8, min: UInt8) {
        if j < 4 { return (q[j] & 63, q[j + 4] & 63) }
        return ((q[j + 4] & 0x0F) | ((q[j - 4] >> 6) << 4), (q[j + 4] >> 4) | ((q[j] >> 6) << 4))
    }
}
