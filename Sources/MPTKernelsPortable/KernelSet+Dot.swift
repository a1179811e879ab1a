/// Dot products and the vector update of attention.
extension KernelSet {
    /// Two accumulators over pairs of vectors, one more vector, then the tail in scalar.
    public static func dot(_ x: UnsafePointer<Float>, _ y: UnsafePointer<Float>, count: Int) -> Float {
        let lanes = Vector.scalarCount
        var low = Vector(), high = Vector()
        var i = 0
        while i &+ 2 &* lanes <= count {
            low = multiplyAdd(low, load(x + i), load(y + i))
            high = multiplyAdd(high, load(x + (i &+ lanes)), load(y + (i &+ lanes)))
            i &+= 2 &* lanes
        }
        if i &+ lanes <= count {
            low = multiplyAdd(low, load(x + i), load(y + i))
            i &+= lanes
        }
        var sum = horizontalSum(low + high)
        while i < count {
            sum += x[i] * y[i]
            i &+= 1
        }
        return sum
    }

    /// Four keys at a time share each query vector; the rest one by one (`dot`).
    public static func scaledDots(
        query: UnsafePointer<Float>, keys: UnsafePointer<Float>, keyStride: Int, keyCount: Int, depth: Int,
        scale: Float, into scores: UnsafeMutablePointer<Float>
    ) {
        let lanes = Vector.scalarCount
        let vectorDepth = depth - depth % lanes
        var j = 0
        while j &+ 4 <= keyCount {
            let k0 = keys + j &* keyStride, k1 = k0 + keyStride, k2 = k1 + keyStride, k3 = k2 + keyStride
            var s0 = Vector(), s1 = Vector(), s2 = Vector(), s3 = Vector()
            var i = 0
            while i < vectorDepth {
                let q = load(query + i)
                s0 = multiplyAdd(s0, q, load(k0 + i)); s1 = multiplyAdd(s1, q, load(k1 + i))
                s2 = multiplyAdd(s2, q, load(k2 + i)); s3 = multiplyAdd(s3, q, load(k3 + i))
                i &+= lanes
            }
            var t0 = horizontalSum(s0), t1 = horizontalSum(s1), t2 = horizontalSum(s2), t3 = horizontalSum(s3)
            while i < depth {
                t0 += query[i] * k0[i]; t1 += query[i] * k1[i]; t2 += query[i] * k2[i]; t3 += query[i] * k3[i]
                i &+= 1
            }
            scores[j] = t0 * scale; scores[j &+ 1] = t1 * scale; scores[j &+ 2] = t2 * scale; scores[j &+ 3] = t3 * scale
            j &+= 4
        }
        while j < keyCount {
            scores[j] = dot(query, keys + j &* keyStride, count: depth) * scale
            j &+= 1
        }
    }

    public static func rescaleAdd(_ y: UnsafeMutablePointer<Float>, keep: Float, weight: Float, _ x: UnsafePointer<Float>, count: Int) {
        let lanes = Vector.scalarCount
        let keepLanes = Vector(repeating: keep), weightLanes = Vector(repeating: weight)
        var i = 0
        while i &+ lanes <= count {
            store(multiplyAdd(load(y + i) * keepLanes, weightLanes, load(x + i)), y + i)
            i &+= lanes
        }
        while i < count {
            y[i] = y[i] * keep + weight * x[i]
            i &+= 1
        }
    }
}
