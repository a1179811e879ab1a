extension GGMLKQuantSearch {
    /// `make_qp_quants(n, nmax, x, L, quant_weights)`: quantizes non-negative values (sub-block
    /// scales or mins) to levels `0…nmax` against one scale, weighted; fills `levels[0..<n]` and
    /// returns the scale. The imatrix paths of Q2_K, Q4_K and Q5_K use it for their scales.
    /// The operation order is ggml's: a grid search over nine inverse scales by weighted squared
    /// error, then up to five passes of coordinate descent on `Σwxl / Σwl²`.
    static func positiveScale(
        _ x: UnsafePointer<Float>, count: Int, maxLevel: Int32, levels: UnsafeMutablePointer<UInt8>,
        weights: UnsafePointer<Float>
    ) -> Float {
        var maximum: Float = 0
        for i in 0..<count { maximum = maximum > x[i] ? maximum : x[i] }   // MAX(max, x[i])
        if maximum < groupMaxEpsilon {
            for i in 0..<count { levels[i] = 0 }
            return 0
        }
        let levelsFloat = Float(maxLevel)
        var inverseScale = levelsFloat / maximum
        // L[i] = nearest_int(iscale * x[i]) without a clamp; the error uses the stored byte.
        for i in 0..<count { levels[i] = UInt8(truncatingIfNeeded: GGMLBlockBits.nearestInt(inverseScale * x[i])) }
        let scale = 1 / inverseScale
        var bestError: Float = 0
        for i in 0..<count {
            let diff = x[i] - scale * Float(levels[i])
            bestError += weights[i] * diff * diff
        }
        for step in -4...4 where step != 0 {
            let candidate = (0.1 * Float(step) + levelsFloat) / maximum
            let candidateScale = 1 / candidate
            var error: Float = 0
            for i in 0..<count {
                let level = min(maxLevel, GGMLBlockBits.nearestInt(candidate * x[i]))
                let diff = x[i] - candidateScale * Float(level)
                error += weights[i] * diff * diff
            }
            if error < bestError {
                bestError = error
                inverseScale = candidate
            }
        }
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<count {
            let level = min(maxLevel, GGMLBlockBits.nearestInt(inverseScale * x[i]))
            levels[i] = UInt8(truncatingIfNeeded: level)
            let w = weights[i]
            sumLX += w * x[i] * Float(level)
            sumL2 += w * Float(level) * Float(level)
        }
        for _ in 0..<5 {
            var changed = 0
            for i in 0..<count {
                let w = weights[i]
                let current = Float(levels[i])
                var slx = sumLX - w * x[i] * current
                var sl2 = sumL2 - w * current * current
                if slx > 0 && sl2 > 0 {
                    let newLevel = min(maxLevel, GGMLBlockBits.nearestInt(x[i] * sl2 / slx))
                    if newLevel != Int32(levels[i]) {
                        slx += w * x[i] * Float(newLevel)
                        sl2 += w * Float(newLevel) * Float(newLevel)
                        if slx * slx * sumL2 > sumLX * sumLX * sl2 {
                            levels[i] = UInt8(truncatingIfNeeded: newLevel)
                            sumLX = slx
                            sumL2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        return sumL2 > 0 ? sumLX / sumL2 : 0
    }
}
