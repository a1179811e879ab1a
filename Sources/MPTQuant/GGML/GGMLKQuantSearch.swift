/// ggml's K-quant scale searches, `make_qkx2_quants` (scale and min, for Q2_K/Q4_K/Q5_K) and
/// `make_qx_quants` with `rmse_type = 1` (symmetric, for Q6_K), as scalar routines over one
/// group: the scalar twins. Their SIMD twins are the kernel copies' `QuantKernels`
/// (`Sources/MPTKernelsPortable/KernelSet+QuantSearch.swift`), which run sixteen groups at once,
/// lane `g` doing exactly the scalar operations of group `g` in the same order.
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
