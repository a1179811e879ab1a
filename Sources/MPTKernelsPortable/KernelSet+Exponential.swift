/// The exponentials of an online softmax, eight or sixteen at a time.
extension KernelSet {
    public static func exponentials(_ values: UnsafeMutablePointer<Float>, count: Int, shift: Float) -> Float {
        let lanes = Vector.scalarCount
        let shiftLanes = Vector(repeating: shift)
        var sums = Vector()
        var i = 0
        while i &+ lanes <= count {
            let result = exponential(load(values + i) - shiftLanes)
            store(result, values + i)
            sums += result
            i &+= lanes
        }
        var total = horizontalSum(sums)
        if i < count {
            var tail = Vector(repeating: 0)
            for lane in 0..<(count &- i) { tail[lane] = values[i &+ lane] - shift }
            let result = exponential(tail)
            for lane in 0..<(count &- i) {
                values[i &+ lane] = result[lane]
                total += result[lane]
            }
        }
        return total
    }

    /// `e^x` lane-wise: `x = n·ln 2 + r` (`n` rounded with the 1.5·2²³ trick, `ln 2` in two
    /// parts), Cephes' degree-5 polynomial for `e^r`, `2ⁿ` built from its exponent bits.
    @inline(__always)
    static func exponential(_ input: Vector) -> Vector {
        var x = input
        x.replace(with: Vector(repeating: -87.3), where: x .< Vector(repeating: -87.3))
        x.replace(with: Vector(repeating: 88.3), where: x .> Vector(repeating: 88.3))
        let roundingMagic = Vector(repeating: 12_582_912)  // 1.5 · 2²³
        let shifted = multiplyAdd(roundingMagic, x, Vector(repeating: 1.442_695_040_888_963_4))
        let n = shifted - roundingMagic
        var r = multiplyAdd(x, n, Vector(repeating: -0.693_359_375))
        r = multiplyAdd(r, n, Vector(repeating: 2.121_944_400_546_905_8e-4))
        var p = Vector(repeating: 1.987_569_150_0e-4)
        p = multiplyAdd(Vector(repeating: 1.398_199_950_7e-3), p, r)
        p = multiplyAdd(Vector(repeating: 8.333_451_907_3e-3), p, r)
        p = multiplyAdd(Vector(repeating: 4.166_579_589_4e-2), p, r)
        p = multiplyAdd(Vector(repeating: 1.666_666_545_9e-1), p, r)
        p = multiplyAdd(Vector(repeating: 5.000_000_120_1e-1), p, r)
        let polynomial = multiplyAdd(r + Vector(repeating: 1), p, r * r)
        let exponentBits = (unsafeBitCast(shifted, to: IntVector.self) &- 0x4B40_0000 &+ 127) &<< 23
        var result = polynomial * unsafeBitCast(exponentBits, to: Vector.self)
        result.replace(with: input, where: input .!= input)
        return result
    }
}
