/// The exact GELU `x · ½ · (1 + erf(x/√2))` eight or sixteen values at a time, erf by Abramowitz
/// and Stegun 7.1.26 as PyTorch's vectorized CPU `erf`: with `z = |x|/√2`,
/// `t = 1 / (1 + 0.3275911·z)`, `erfc(z) ≈ t·(a₁ + t·(a₂ + t·(a₃ + t·(a₄ + t·a₅))))·e^(−z²)`
/// (absolute error ≤ 1.5e-7), and `1 + erf(x/√2)` is `erfc(z)` below zero (no cancellation),
/// `2 − erfc(z)` above. The exponential is `exponential`'s polynomial.
extension KernelSet {
    public static func gelu(_ values: UnsafeMutablePointer<Float>, count: Int) {
        let lanes = Vector.scalarCount
        var i = 0
        while i &+ lanes <= count {
            store(gelu(load(values + i)), values + i)
            i &+= lanes
        }
        guard i < count else { return }
        var tail = Vector()
        for lane in 0..<(count &- i) { tail[lane] = values[i &+ lane] }
        let result = gelu(tail)
        for lane in 0..<(count &- i) { values[i &+ lane] = result[lane] }
    }

    @inline(__always)
    static func gelu(_ x: Vector) -> Vector {
        let zero = Vector()
        let z = x * Vector(repeating: 0.707_106_781_186_547_524_4)
        var magnitude = z
        magnitude.replace(with: zero - z, where: z .< zero)
        let one = Vector(repeating: 1)
        let t = one / multiplyAdd(one, Vector(repeating: 0.327_591_1), magnitude)
        var r = Vector(repeating: 1.061_405_429)
        r = multiplyAdd(Vector(repeating: -1.453_152_027), r, t)
        r = multiplyAdd(Vector(repeating: 1.421_413_741), r, t)
        r = multiplyAdd(Vector(repeating: -0.284_496_736), r, t)
        r = multiplyAdd(Vector(repeating: 0.254_829_592), r, t)
        let complement = r * t * exponential(zero - magnitude * magnitude)
        var onePlusErf = Vector(repeating: 2) - complement
        onePlusErf.replace(with: complement, where: z .< zero)
        return x * Vector(repeating: 0.5) * onePlusErf
    }
}
