/// ggml's K-quant scale searches, `make_qkx2_quants` (scale and min, for Q4_K/Q5_K) and
/// `make_qx_quants` with `rmse_type = 1` and no weights (symmetric, for Q6_K), each as a scalar
/// routine over one group and as a "lanes" routine that runs eight groups at once, lane `g`
/// doing exactly the scalar operations of group `g` in the same order (so both give the same
/// bits: float sums stay sequential within a lane, branches become per-lane selects).
///
/// The lanes routines take the groups transposed: `x[i]` holds element `i` of groups 0…7.
enum GGMLKQuantSearch {
    // MARK: make_qkx2_quants

    /// Which of ggml's two scale-and-min searches `scaleMin` runs. They differ only in the test
    /// for a flat group (`max == min` in `make_qkx2_quants`, `max <= min` in `make_qkx3_quants`)
    /// and in the error measure (`use_mad`: weighted |diff| instead of weighted diff²).
    struct ScaleMinVariant: Sendable {
        /// `use_mad`.
        var useMAD = false
        /// `make_qkx3_quants`' `max <= min` (true) or `make_qkx2_quants`' `max == min` (false).
        var flatWhenMaxNotAbove = false

        /// `make_qkx2_quants(…, use_mad = false)` (Q4_K/Q5_K without an imatrix).
        static let qkx2 = ScaleMinVariant()
        /// `make_qkx2_quants(…, use_mad = true)` (Q2_K without an imatrix).
        static let qkx2MAD = ScaleMinVariant(useMAD: true)
        /// `make_qkx3_quants(…, use_mad = false)` with weights (the imatrix paths).
        static let qkx3 = ScaleMinVariant(flatWhenMaxNotAbove: true)
    }

    /// `make_qkx2_quants` / `make_qkx3_quants(n, nmax, x, weights, L, &the_min, Laux, rmin,
    /// rdelta, nstep, use_mad)` as `variant` says: fills `levels[0..<n]`, returns the scale and
    /// `the_min` (= −min).
    static func scaleMin(
        _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>, count: Int, maxLevel: Int32,
        rmin: Float, rdelta: Float, steps: Int,
        levels: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>, variant: ScaleMinVariant = .qkx2
    ) -> (scale: Float, negatedMin: Float) {
        @inline(__always) func measure(_ diff: Float) -> Float { variant.useMAD ? abs(diff) : diff * diff }
        var minimum = x[0], maximum = x[0]
        let sumW0 = weights[0]
        var sumW = sumW0
        var sumX = sumW0 * x[0]
        for i in 1..<count {
            if x[i] < minimum { minimum = x[i] }
            if x[i] > maximum { maximum = x[i] }
            let w = weights[i]
            sumW += w
            sumX += w * x[i]
        }
        if minimum > 0 { minimum = 0 }
        if variant.flatWhenMaxNotAbove ? maximum <= minimum : maximum == minimum {
            for i in 0..<count { levels[i] = 0 }
            return (0, -minimum)
        }
        let levelsFloat = Float(maxLevel)
        var inverseScale = levelsFloat / (maximum - minimum)
        var scale = 1 / inverseScale
        var bestError: Float = 0
        for i in 0..<count {
            let level = clamp(GGMLBlockBits.nearestInt(inverseScale * (x[i] - minimum)), 0, maxLevel)
            levels[i] = UInt8(truncatingIfNeeded: level)
            bestError += weights[i] * measure(scale * Float(level) + minimum - x[i])
        }
        guard steps >= 1 else { return (scale, -minimum) }
        for step in 0...steps {
            inverseScale = (rmin + rdelta * Float(step) + levelsFloat) / (maximum - minimum)
            var sumL: Float = 0, sumL2: Float = 0, sumXL: Float = 0
            for i in 0..<count {
                let level = clamp(GGMLBlockBits.nearestInt(inverseScale * (x[i] - minimum)), 0, maxLevel)
                scratch[i] = UInt8(truncatingIfNeeded: level)
                let wl = weights[i] * Float(level)
                sumL += wl
                sumL2 += wl * Float(level)
                sumXL += wl * x[i]
            }
            let det = sumW * sumL2 - sumL * sumL
            guard det > 0 else { continue }
            var thisScale = (sumW * sumXL - sumX * sumL) / det
            var thisMin = (sumL2 * sumX - sumL * sumXL) / det
            if thisMin > 0 {
                thisMin = 0
                thisScale = sumXL / sumL2
            }
            var error: Float = 0
            for i in 0..<count {
                error += weights[i] * measure(thisScale * Float(scratch[i]) + thisMin - x[i])
            }
            if error < bestError {
                for i in 0..<count { levels[i] = scratch[i] }
                bestError = error
                scale = thisScale
                minimum = thisMin
            }
        }
        return (scale, -minimum)
    }

    /// `scaleMin` on eight transposed groups of `count` values.
    static func scaleMinLanes(
        _ x: UnsafePointer<SIMD8<Float>>, weights: UnsafePointer<SIMD8<Float>>, count: Int, maxLevel: Int32,
        rmin: Float, rdelta: Float, steps: Int,
        levels: UnsafeMutablePointer<SIMD8<Int32>>, scratch: UnsafeMutablePointer<SIMD8<Int32>>
    ) -> (scale: SIMD8<Float>, negatedMin: SIMD8<Float>) {
        var minimum = x[0], maximum = x[0]
        var sumW = weights[0]
        var sumX = sumW * x[0]
        for i in 1..<count {
            minimum = minimum.selecting(x[i], where: x[i] .< minimum)
            maximum = maximum.selecting(x[i], where: x[i] .> maximum)
            sumW += weights[i]
            sumX += weights[i] * x[i]
        }
        minimum = minimum.selecting(0, where: minimum .> 0)
        let flat = maximum .== minimum
        let levelsFloat = Float(maxLevel)
        var inverseScale = levelsFloat / (maximum - minimum)
        var scale = 1 / inverseScale
        var bestError = SIMD8<Float>(repeating: 0)
        for i in 0..<count {
            let level = clamp(GGMLBlockBits.nearestInt(inverseScale * (x[i] - minimum)), 0, maxLevel)
            levels[i] = level
            let diff = scale * SIMD8<Float>(level) + minimum - x[i]
            bestError += weights[i] * (diff * diff)
        }
        if steps >= 1 {
            for step in 0...steps {
                inverseScale = (rmin + rdelta * Float(step) + levelsFloat) / (maximum - minimum)
                var sumL = SIMD8<Float>(repeating: 0), sumL2 = sumL, sumXL = sumL
                for i in 0..<count {
                    let level = clamp(GGMLBlockBits.nearestInt(inverseScale * (x[i] - minimum)), 0, maxLevel)
                    scratch[i] = level
                    let asFloat = SIMD8<Float>(level)
                    let wl = weights[i] * asFloat
                    sumL += wl
                    sumL2 += wl * asFloat
                    sumXL += wl * x[i]
                }
                let det = sumW * sumL2 - sumL * sumL
                let valid = (det .> 0) & flat.inverted
                guard valid.anySet else { continue }
                var thisScale = (sumW * sumXL - sumX * sumL) / det
                var thisMin = (sumL2 * sumX - sumL * sumXL) / det
                let positive = thisMin .> 0
                thisMin = thisMin.selecting(0, where: positive)
                thisScale = thisScale.selecting(sumXL / sumL2, where: positive)
                var error = SIMD8<Float>(repeating: 0)
                for i in 0..<count {
                    let diff = thisScale * SIMD8<Float>(scratch[i]) + thisMin - x[i]
                    error += weights[i] * (diff * diff)
                }
                let accept = valid & (error .< bestError)
                guard accept.anySet else { continue }
                for i in 0..<count { levels[i] = levels[i].selecting(scratch[i], where: accept) }
                bestError = bestError.selecting(error, where: accept)
                scale = scale.selecting(thisScale, where: accept)
                minimum = minimum.selecting(thisMin, where: accept)
            }
        }
        if flat.anySet {
            for i in 0..<count { levels[i] = levels[i].selecting(0, where: flat) }
            scale = scale.selecting(0, where: flat)
        }
        return (scale, -minimum)
    }

    // MARK: make_qx_quants (rmse_type 1)

    /// `make_qx_quants(n, nmax, x, L, 1, qw)`: fills `levels[0..<n]` with `l + nmax`
    /// (`l ∈ [−nmax, nmax − 1]`) and returns the scale. Without `weights` (`qw = NULL`) each
    /// value weighs `x²`.
    static func symmetricScale(
        _ x: UnsafePointer<Float>, count: Int, maxLevel: Int32, levels: UnsafeMutablePointer<Int8>,
        weights: UnsafePointer<Float>? = nil
    ) -> Float {
        var maximum: Float = 0, amax: Float = 0
        for i in 0..<count {
            let ax = abs(x[i])
            if ax > amax { amax = ax; maximum = x[i] }
        }
        if amax < groupMaxEpsilon {
            for i in 0..<count { levels[i] = 0 }
            return 0
        }
        let levelsFloat = Float(maxLevel)
        var inverseScale = Float(-maxLevel) / maximum
        var sumLX: Float = 0, sumL2: Float = 0
        for i in 0..<count {
            let level = clamp(GGMLBlockBits.nearestInt(inverseScale * x[i]), -maxLevel, maxLevel - 1)
            levels[i] = Int8(truncatingIfNeeded: level + maxLevel)
            let w = weights?[i] ?? x[i] * x[i]
            sumLX += w * x[i] * Float(level)
            sumL2 += w * Float(level) * Float(level)
        }
        var scale: Float = sumL2 != 0 ? sumLX / sumL2 : 0
        var best = scale * sumLX
        for step in -9...9 where step != 0 {
            inverseScale = -(levelsFloat + 0.1 * Float(step)) / maximum
            sumLX = 0
            sumL2 = 0
            for i in 0..<count {
                let level = clamp(GGMLBlockBits.nearestInt(inverseScale * x[i]), -maxLevel, maxLevel - 1)
                let w = weights?[i] ?? x[i] * x[i]
                sumLX += w * x[i] * Float(level)
                sumL2 += w * Float(level) * Float(level)
            }
            if sumL2 > 0, sumLX * sumLX > best * sumL2 {
                for i in 0..<count {
                    let level = clamp(GGMLBlockBits.nearestInt(inverseScale * x[i]), -maxLevel, maxLevel - 1)
                    levels[i] = Int8(truncatingIfNeeded: level + maxLevel)
                }
                scale = sumLX / sumL2
                best = scale * sumLX
            }
        }
        return scale
    }

    /// `symmetricScale` on eight transposed groups; `levels[i]` gets `l + nmax` per lane.
    static func symmetricScaleLanes(
        _ x: UnsafePointer<SIMD8<Float>>, count: Int, maxLevel: Int32, levels: UnsafeMutablePointer<SIMD8<Int32>>
    ) -> SIMD8<Float> {
        var maximum = SIMD8<Float>(repeating: 0), amax = maximum
        for i in 0..<count {
            let ax = GGMLBlockBits.magnitude(x[i])
            let larger = ax .> amax
            amax = amax.selecting(ax, where: larger)
            maximum = maximum.selecting(x[i], where: larger)
        }
        let zero = amax .< groupMaxEpsilon
        let levelsFloat = Float(maxLevel)
        let offset = SIMD8<Int32>(repeating: maxLevel)
        var inverseScale = Float(-maxLevel) / maximum
        var sumLX = SIMD8<Float>(repeating: 0), sumL2 = sumLX
        for i in 0..<count {
            let level = clamp(GGMLBlockBits.nearestInt(inverseScale * x[i]), -maxLevel, maxLevel - 1)
            levels[i] = level &+ offset
            let w = x[i] * x[i]
            let asFloat = SIMD8<Float>(level)
            sumLX += w * x[i] * asFloat
            sumL2 += w * asFloat * asFloat
        }
        var scale = (sumLX / sumL2).selecting(SIMD8(repeating: 0), where: sumL2 .== 0)
        var best = scale * sumLX
        // The search's sums need the levels only as floats: `nearestFloat` gives exactly the float
        // of ggml's `nearest_int` for |v| < 2²² (|v| ≤ maxLevel + 0.9 here), which saves the
        // lane-by-lane Int32 → Float conversion the stdlib does (most of Q6_K's encoding time).
        let lowest = SIMD8<Float>(repeating: -levelsFloat), highest = SIMD8<Float>(repeating: levelsFloat - 1)
        for step in -9...9 where step != 0 {
            inverseScale = -(levelsFloat + 0.1 * Float(step)) / maximum
            sumLX = SIMD8<Float>(repeating: 0)
            sumL2 = sumLX
            for i in 0..<count {
                // Clamped with selects: `clamped(lowerBound:upperBound:)` calls the generic
                // pointwiseMin/Max out of line (60% of the time in a profile).
                var asFloat = GGMLBlockBits.nearestFloat(inverseScale * x[i])
                asFloat.replace(with: lowest, where: asFloat .< lowest)
                asFloat.replace(with: highest, where: asFloat .> highest)
                let w = x[i] * x[i]
                sumLX += w * x[i] * asFloat
                sumL2 += w * asFloat * asFloat
            }
            let accept = (sumL2 .> 0) & (sumLX * sumLX .> best * sumL2) & zero.inverted
            guard accept.anySet else { continue }
            for i in 0..<count {
                let level = clamp(GGMLBlockBits.nearestInt(inverseScale * x[i]), -maxLevel, maxLevel - 1)
                levels[i] = levels[i].selecting(level &+ offset, where: accept)
            }
            let candidate = sumLX / sumL2
            scale = scale.selecting(candidate, where: accept)
            best = best.selecting(candidate * sumLX, where: accept)
        }
        if zero.anySet {
            for i in 0..<count { levels[i] = levels[i].selecting(0, where: zero) }
            scale = scale.selecting(0, where: zero)
        }
        return scale
    }

    // MARK: Shared pieces

    /// ggml's `GROUP_MAX_EPS`: a group whose largest magnitude is below it is all zero.
    static let groupMaxEpsilon: Float = 1e-15

    /// `MAX(low, MIN(high, value))`.
    @inline(__always)
    static func clamp(_ value: Int32, _ low: Int32, _ high: Int32) -> Int32 {
        let capped = high < value ? high : value
        return low > capped ? low : capped
    }

    /// `MAX(low, MIN(high, value))` per lane, for `value` from `nearestInt` (always within
    /// ±2²², so the differences below cannot overflow): the sign of `high − value` and of
    /// `value − low` makes the select masks (integer lane comparisons compiled to a loop here).
    @inline(__always)
    static func clamp(_ value: SIMD8<Int32>, _ low: Int32, _ high: Int32) -> SIMD8<Int32> {
        let highs = SIMD8<Int32>(repeating: high), lows = SIMD8<Int32>(repeating: low)
        let over = (highs &- value) &>> 31
        let capped = (value & ~over) | (highs & over)
        let under = (capped &- lows) &>> 31
        return (capped & ~under) | (lows & under)
    }
}
