import MPTKernelInterface

/// Sixteen groups side by side: lane `g` is group `g` (`SIMD16` at every level — four SSE
/// registers, two YMM with AVX2, one ZMM with AVX-512).
typealias GroupLanes = SIMD16<Float>
typealias GroupMask = SIMDMask<SIMD16<Int32>>

/// ggml's K-quant scale searches (`QuantKernels`), each lane doing the scalar reference's float
/// operations in its order. Products and sums are written as separate operations, never
/// `multiplyAdd`: ggml's reference quantizers are compiled without contraction, and Swift does
/// not contract on its own.
extension KernelSet: QuantKernels {
    public static func symmetricScales(
        _ values: UnsafePointer<Float>, weights: UnsafePointer<Float>?, maxLevel: Int32,
        scales: UnsafeMutablePointer<Float>, levels: UnsafeMutablePointer<UInt8>
    ) {
        withUnsafeTemporaryAllocation(of: GroupLanes.self, capacity: 3 &* 16) { buffer in
            guard let x = buffer.baseAddress else { return }
            let w = x + 16, wx = x + 32
            transpose(values, groupSize: 16, into: x)
            let (maximum, zero) = signedMaxima(x, weights: w, weightedValues: wx)
            if let weights {
                // `w·x[i]·l` with the given weights: ggml's `qw[i]`.
                transpose(weights, groupSize: 16, into: w)
                for i in 0..<16 { wx[i] = w[i] * x[i] }
            }
            let nmax = Float(maxLevel)
            let low = GroupLanes(repeating: -nmax), high = GroupLanes(repeating: nmax - 1)
            // Levels stay floats: nearest-even rounding by the 1.5·2²³ trick equals ggml's
            // `nearest_int` here (|iscale·x| ≤ nmax + 0.9, since |x| ≤ |max| and max ≥ 1e-15).
            @inline(__always) func sums(_ iscale: GroupLanes) -> (lx: GroupLanes, l2: GroupLanes) {
                var lx = GroupLanes(repeating: 0), l2 = lx
                for i in 0..<16 {
                    let l = clampLanes(roundedLanes(iscale * x[i]), low, high)
                    lx += wx[i] * l
                    l2 += (w[i] * l) * l
                }
                return (lx, l2)
            }
            var iscale = GroupLanes(repeating: Float(-maxLevel)) / maximum
            var (sumLX, sumL2) = sums(iscale)
            var scale = sumLX / sumL2
            scale.replace(with: 0, where: sumL2 .== GroupLanes(repeating: 0))
            var best = scale * sumLX
            var bestInverse = iscale
            for step in -9...9 where step != 0 {
                iscale = GroupLanes(repeating: -(nmax + 0.1 * Float(step))) / maximum
                (sumLX, sumL2) = sums(iscale)
                let accept = (sumL2 .> GroupLanes(repeating: 0)) .& (sumLX * sumLX .> best * sumL2)
                let candidate = sumLX / sumL2
                scale.replace(with: candidate, where: accept)
                best.replace(with: candidate * sumLX, where: accept)
                bestInverse.replace(with: iscale, where: accept)
            }
            scale.replace(with: 0, where: zero)
            storeLanes(scale, scales)
            // The best step's levels, recomputed (the same operations the step used).
            for i in 0..<16 {
                var l = clampLanes(roundedLanes(bestInverse * x[i]), low, high) + GroupLanes(repeating: nmax)
                l.replace(with: 0, where: zero)
                storeLevels(l, row: i, groupSize: 16, levels)
            }
        }
    }

    public static func refinedSymmetricScales(
        _ values: UnsafePointer<Float>, maxLevel: Int32, scales: UnsafeMutablePointer<Float>, levels: UnsafeMutablePointer<UInt8>
    ) {
        withUnsafeTemporaryAllocation(of: GroupLanes.self, capacity: 4 &* 16) { buffer in
            guard let x = buffer.baseAddress else { return }
            let w = x + 16, wx = x + 32, current = x + 48
            transpose(values, groupSize: 16, into: x)
            let (maximum, zero) = signedMaxima(x, weights: w, weightedValues: wx)
            let nmax = Float(maxLevel)
            let low = GroupLanes(repeating: -nmax), high = GroupLanes(repeating: nmax - 1)
            let iscale = GroupLanes(repeating: Float(-maxLevel)) / maximum
            var sumLX = GroupLanes(repeating: 0), sumL2 = sumLX
            for i in 0..<16 {
                let l = clampLanes(exactRoundedLanes(iscale * x[i]), low, high)
                current[i] = l
                sumLX += wx[i] * l
                sumL2 += (w[i] * l) * l
            }
            var active = .!zero
            let positive = GroupLanes(repeating: 0)
            for _ in 0..<5 {
                guard any(active) else { break }
                var changed = GroupMask(repeating: false)
                for i in 0..<16 {
                    let old = current[i]
                    let slx = sumLX - wx[i] * old
                    let sl2 = sumL2 - (w[i] * old) * old
                    // `x·sl2/slx` may be huge or not finite where slx is tiny: the exact rounding.
                    let newL = clampLanes(exactRoundedLanes((x[i] * sl2) / slx), low, high)
                    let newSLX = slx + wx[i] * newL
                    let newSL2 = sl2 + (w[i] * newL) * newL
                    let gain = (newSLX * newSLX) * sumL2 .> (sumLX * sumLX) * newSL2
                    let take = active .& (slx .> positive) .& (newL .!= old) .& (newSL2 .> positive) .& gain
                    current[i].replace(with: newL, where: take)
                    sumLX.replace(with: newSLX, where: take)
                    sumL2.replace(with: newSL2, where: take)
                    changed .|= take
                }
                active .&= changed
            }
            var scale = sumLX / sumL2
            scale.replace(with: 0, where: .!(sumL2 .> positive))
            scale.replace(with: 0, where: zero)
            storeLanes(scale, scales)
            for i in 0..<16 {
                var l = current[i] + GroupLanes(repeating: nmax)
                l.replace(with: 0, where: zero)
                storeLevels(l, row: i, groupSize: 16, levels)
            }
        }
    }

    public static func scaleMinScales(
        _ values: UnsafePointer<Float>, weights: UnsafePointer<Float>, groupSize: Int, maxLevel: Int32,
        rmin: Float, rdelta: Float, steps: Int, meanAbsolute: Bool, flatWhenMaxNotAbove: Bool,
        scales: UnsafeMutablePointer<Float>, negatedMins: UnsafeMutablePointer<Float>, levels: UnsafeMutablePointer<UInt8>
    ) {
        let count = groupSize < 1 ? 1 : (groupSize > 32 ? 32 : groupSize)
        // Two calls with a constant flag, so each inlined copy has its measure without a branch.
        if meanAbsolute {
            scaleMin(
                values, weights, count, maxLevel, rmin, rdelta, steps, scales, negatedMins, levels,
                meanAbsolute: true, flatWhenMaxNotAbove: flatWhenMaxNotAbove)
        } else {
            scaleMin(
                values, weights, count, maxLevel, rmin, rdelta, steps, scales, negatedMins, levels,
                meanAbsolute: false, flatWhenMaxNotAbove: flatWhenMaxNotAbove)
        }
    }

    /// `make_qkx2_quants` (or `make_qkx3_quants`) on 16 lanes; the error measure is `fabsf`
    /// (`use_mad`) or the square.
    @inline(__always)
    static func scaleMin(
        _ values: UnsafePointer<Float>, _ weights: UnsafePointer<Float>, _ count: Int, _ maxLevel: Int32,
        _ rmin: Float, _ rdelta: Float, _ steps: Int,
        _ scales: UnsafeMutablePointer<Float>, _ negatedMins: UnsafeMutablePointer<Float>, _ levels: UnsafeMutablePointer<UInt8>,
        meanAbsolute: Bool, flatWhenMaxNotAbove: Bool
    ) {
        @inline(__always) func measure(_ diff: GroupLanes) -> GroupLanes { meanAbsolute ? magnitudeLanes(diff) : diff * diff }
        withUnsafeTemporaryAllocation(of: GroupLanes.self, capacity: 3 &* 32) { buffer in
            guard let x = buffer.baseAddress else { return }
            let w = x + 32, trial = x + 64
            transpose(values, groupSize: count, into: x)
            transpose(weights, groupSize: count, into: w)
            var minimum = x[0], maximum = x[0]
            var sumW = w[0]
            var sumX = sumW * x[0]
            for i in 1..<count {
                minimum.replace(with: x[i], where: x[i] .< minimum)
                maximum.replace(with: x[i], where: x[i] .> maximum)
                sumW += w[i]
                sumX += w[i] * x[i]
            }
            let zero = GroupLanes(repeating: 0)
            minimum.replace(with: zero, where: minimum .> zero)
            let flat = flatWhenMaxNotAbove ? maximum .<= minimum : maximum .== minimum
            let flatMin = negatedLanes(minimum)
            let nmax = Float(maxLevel)
            let low = zero, high = GroupLanes(repeating: nmax)
            // `iscale·(x − min)` can be ±inf or NaN (a subnormal range): ggml's exact rounding.
            var iscale = GroupLanes(repeating: nmax) / (maximum - minimum)
            var scale = 1 / iscale
            var bestError = zero
            for i in 0..<count {
                let l = clampLanes(exactRoundedLanes(iscale * (x[i] - minimum)), low, high)
                bestError += w[i] * measure(scale * l + minimum - x[i])
            }
            var bestInverse = iscale, bestShift = minimum
            if steps >= 1 {
                for step in 0...steps {
                    iscale = GroupLanes(repeating: rmin + rdelta * Float(step) + nmax) / (maximum - minimum)
                    var sumL = zero, sumL2 = zero, sumXL = zero
                    for i in 0..<count {
                        let l = clampLanes(exactRoundedLanes(iscale * (x[i] - minimum)), low, high)
                        trial[i] = l
                        let wl = w[i] * l
                        sumL += wl
                        sumL2 += wl * l
                        sumXL += wl * x[i]
                    }
                    let determinant = sumW * sumL2 - sumL * sumL
                    let valid = determinant .> zero
                    guard any(valid) else { continue }
                    var thisScale = (sumW * sumXL - sumX * sumL) / determinant
                    var thisMin = (sumL2 * sumX - sumL * sumXL) / determinant
                    let clampMin = thisMin .> zero
                    thisMin.replace(with: zero, where: clampMin)
                    thisScale.replace(with: sumXL / sumL2, where: clampMin)
                    var error = zero
                    for i in 0..<count {
                        error += w[i] * measure(thisScale * trial[i] + thisMin - x[i])
                    }
                    let accept = valid .& (error .< bestError)
                    bestError.replace(with: error, where: accept)
                    scale.replace(with: thisScale, where: accept)
                    bestInverse.replace(with: iscale, where: accept)
                    bestShift.replace(with: minimum, where: accept)
                    minimum.replace(with: thisMin, where: accept)
                }
            }
            scale.replace(with: zero, where: flat)
            var negated = negatedLanes(minimum)
            negated.replace(with: flatMin, where: flat)
            storeLanes(scale, scales)
            storeLanes(negated, negatedMins)
            for i in 0..<count {
                var l = clampLanes(exactRoundedLanes(bestInverse * (x[i] - bestShift)), low, high)
                l.replace(with: zero, where: flat)
                storeLevels(l, row: i, groupSize: count, levels)
            }
        }
    }

    // MARK: Lane helpers

    /// `x[i]` = element `i` of every group (`values[groupSize·g + i]`).
    @inline(__always)
    static func transpose(_ values: UnsafePointer<Float>, groupSize: Int, into x: UnsafeMutablePointer<GroupLanes>) {
        UnsafeMutableRawPointer(x).withMemoryRebound(to: Float.self, capacity: 16 &* groupSize) { rows in
            for group in 0..<16 {
                for i in 0..<groupSize { rows[16 &* i &+ group] = values[groupSize &* group &+ i] }
            }
        }
    }

    /// ggml's first signed value of largest magnitude per group (`if (ax > amax)`), whether the
    /// group is all zero (`amax < GROUP_MAX_EPS`), and the weights `x²` and `x²·x`.
    @inline(__always)
    static func signedMaxima(
        _ x: UnsafePointer<GroupLanes>, weights w: UnsafeMutablePointer<GroupLanes>, weightedValues wx: UnsafeMutablePointer<GroupLanes>
    ) -> (maximum: GroupLanes, zero: GroupMask) {
        var amax = GroupLanes(repeating: 0), maximum = amax
        for i in 0..<16 {
            let value = x[i]
            let magnitude = magnitudeLanes(value)
            let larger = magnitude .> amax
            amax.replace(with: magnitude, where: larger)
            maximum.replace(with: value, where: larger)
            w[i] = value * value
            wx[i] = w[i] * value
        }
        return (maximum, amax .< GroupLanes(repeating: 1e-15))
    }

    /// `-v` per lane as C negates (flips the sign bit: `-0.0` for `0`; the stdlib's vector
    /// negation is `0 − v`, which gives `+0.0`).
    @inline(__always)
    static func negatedLanes(_ value: GroupLanes) -> GroupLanes {
        unsafeBitCast(unsafeBitCast(value, to: SIMD16<UInt32>.self) ^ 0x8000_0000, to: GroupLanes.self)
    }

    /// `fabsf` per lane (clears the sign bit).
    @inline(__always)
    static func magnitudeLanes(_ value: GroupLanes) -> GroupLanes {
        unsafeBitCast(unsafeBitCast(value, to: SIMD16<UInt32>.self) & 0x7FFF_FFFF, to: GroupLanes.self)
    }

    /// `Float(nearest_int(v))` for |v| < 2²²: `(v + 1.5·2²³) − 1.5·2²³`.
    @inline(__always)
    static func roundedLanes(_ value: GroupLanes) -> GroupLanes {
        let magic = GroupLanes(repeating: 12_582_912)
        return (value + magic) - magic
    }

    /// `Float(nearest_int(v))` for every `v`, ±inf and NaN included: ggml's integer is the low 23
    /// bits of `v + 1.5·2²³` minus 2²², which lies in [−2²², 2²²) and so converts exactly as
    /// `Float(bits | 0x4B000000) − 1.5·2²³`.
    @inline(__always)
    static func exactRoundedLanes(_ value: GroupLanes) -> GroupLanes {
        let shifted = unsafeBitCast(value + GroupLanes(repeating: 12_582_912), to: SIMD16<UInt32>.self)
        let exponent = SIMD16<UInt32>(repeating: 0x4B00_0000)
        return unsafeBitCast((shifted & 0x007F_FFFF) | exponent, to: GroupLanes.self) - GroupLanes(repeating: 12_582_912)
    }

    /// `MAX(low, MIN(high, v))` on whole numbers held as floats.
    @inline(__always)
    static func clampLanes(_ value: GroupLanes, _ low: GroupLanes, _ high: GroupLanes) -> GroupLanes {
        var result = value
        result.replace(with: high, where: high .< result)
        result.replace(with: low, where: low .> result)
        return result
    }

    @inline(__always)
    static func any(_ mask: GroupMask) -> Bool {
        let bits = unsafeBitCast(mask, to: SIMD16<UInt32>.self)
        var merged: UInt32 = 0
        for lane in 0..<16 { merged |= bits[lane] }
        return merged != 0
    }

    @inline(__always)
    static func storeLanes(_ lanes: GroupLanes, _ destination: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(destination).storeBytes(of: lanes, as: GroupLanes.self)
    }

    /// Row `i` of whole-number levels 0…255 into `levels[groupSize·g + i]`.
    @inline(__always)
    static func storeLevels(_ lanes: GroupLanes, row: Int, groupSize: Int, _ levels: UnsafeMutablePointer<UInt8>) {
        // The 1.5·2²³ trick again: the level is the low byte of `l + 1.5·2²³`'s bits.
        let bits = unsafeBitCast(lanes + GroupLanes(repeating: 12_582_912), to: SIMD16<UInt32>.self)
        for group in 0..<16 { levels[groupSize &* group &+ row] = UInt8(truncatingIfNeeded: bits[group]) }
    }
}
