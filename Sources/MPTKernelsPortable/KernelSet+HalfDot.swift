/// Dot products of `Float` activations with stored 16-bit weights, the decode fused into the
/// loop (the few-rows path of a decoding step, which streams every weight once per token).
///
/// Two weights are loaded per 32-bit lane: the low half is the even-indexed weight, the high half
/// the odd one. bf16 becomes `Float` by a shift (even) or a mask (odd), f16 by the integer
/// conversion of `f16ToFloat` lane-wise — no shuffle in the loop, because the activations are
/// laid out to match once per product (`pairActivations`).
extension KernelSet {
    public static func pairActivations(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        let lanes = Vector.scalarCount, block = 2 &* lanes
        var start = 0
        while start &+ block <= count {
            for k in 0..<lanes {
                destination[start &+ k] = source[start &+ 2 &* k]
                destination[start &+ lanes &+ k] = source[start &+ 2 &* k &+ 1]
            }
            start &+= block
        }
        while start < count {
            destination[start] = source[start]
            start &+= 1
        }
    }

    public static func bf16Dot(_ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, count: Int) -> Float {
        tailDot(paired, weights, count: count, bfloat16: true, adding: pairedDot(paired, weights, count: count, bfloat16: true))
    }

    public static func f16Dot(_ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, count: Int) -> Float {
        tailDot(paired, weights, count: count, bfloat16: false, adding: pairedDot(paired, weights, count: count, bfloat16: false))
    }

    public static func halfDot4(
        _ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, rowStride: Int, count: Int, bfloat16: Bool,
        _ sums: UnsafeMutablePointer<Float>
    ) {
        if bfloat16 {
            pairedDot4(paired, weights, rowStride: rowStride, count: count, bfloat16: true, sums)
        } else {
            pairedDot4(paired, weights, rowStride: rowStride, count: count, bfloat16: false, sums)
        }
        for r in 0..<4 {
            sums[r] = tailDot(paired, weights + r &* rowStride, count: count, bfloat16: bfloat16, adding: sums[r])
        }
    }

    /// `sum` plus the last `count % (2 · lanes)` products, which the vector loop leaves, in order.
    @inline(__always)
    static func tailDot(_ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, count: Int, bfloat16: Bool, adding sum: Float) -> Float {
        var total = sum
        var i = count &- count % (2 &* Vector.scalarCount)
        while i < count {
            var weight: Float = 0
            if bfloat16 {
                weight = Float(bitPattern: UInt32(weights[i]) &<< 16)
            } else {
                var half = weights[i]
                f16ToFloat(&half, &weight, count: 1)
            }
            total += paired[i] * weight
            i &+= 1
        }
        return total
    }

    /// The vector part of the paired dot: whole blocks of `2 · lanes` weights, one block per step
    /// into an even and an odd accumulator (`bfloat16` is a constant where it is inlined: no
    /// branch). `pairedDot4` keeps the same order per row, so grouping rows changes no bit.
    @inline(__always)
    static func pairedDot(_ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, count: Int, bfloat16: Bool) -> Float {
        let lanes = Vector.scalarCount, block = 2 &* lanes
        let raw = UnsafeRawPointer(weights)
        var even = Vector(), odd = Vector()
        var i = 0
        while i &+ block <= count {
            let bits = raw.loadUnaligned(fromByteOffset: i &* 2, as: IntVector.self)
            even = multiplyAdd(even, evenHalf(bits, bfloat16: bfloat16), load(paired + i))
            odd = multiplyAdd(odd, oddHalf(bits, bfloat16: bfloat16), load(paired + (i &+ lanes)))
            i &+= block
        }
        return horizontalSum(even + odd)
    }

    /// `pairedDot` of one activation row with four weight rows at once: the activations are
    /// loaded once per block for all four, and four row streams are in flight.
    @inline(__always)
    static func pairedDot4(
        _ paired: UnsafePointer<Float>, _ weights: UnsafePointer<UInt16>, rowStride: Int, count: Int, bfloat16: Bool,
        _ sums: UnsafeMutablePointer<Float>
    ) {
        let lanes = Vector.scalarCount, block = 2 &* lanes
        let raw0 = UnsafeRawPointer(weights), raw1 = UnsafeRawPointer(weights + rowStride)
        let raw2 = UnsafeRawPointer(weights + 2 &* rowStride), raw3 = UnsafeRawPointer(weights + 3 &* rowStride)
        var even0 = Vector(), odd0 = Vector(), even1 = Vector(), odd1 = Vector()
        var even2 = Vector(), odd2 = Vector(), even3 = Vector(), odd3 = Vector()
        var i = 0
        while i &+ block <= count {
            let evenA = load(paired + i), oddA = load(paired + (i &+ lanes))
            let bits0 = raw0.loadUnaligned(fromByteOffset: i &* 2, as: IntVector.self)
            let bits1 = raw1.loadUnaligned(fromByteOffset: i &* 2, as: IntVector.self)
            let bits2 = raw2.loadUnaligned(fromByteOffset: i &* 2, as: IntVector.self)
            let bits3 = raw3.loadUnaligned(fromByteOffset: i &* 2, as: IntVector.self)
            even0 = multiplyAdd(even0, evenHalf(bits0, bfloat16: bfloat16), evenA)
            odd0 = multiplyAdd(odd0, oddHalf(bits0, bfloat16: bfloat16), oddA)
            even1 = multiplyAdd(even1, evenHalf(bits1, bfloat16: bfloat16), evenA)
            odd1 = multiplyAdd(odd1, oddHalf(bits1, bfloat16: bfloat16), oddA)
            even2 = multiplyAdd(even2, evenHalf(bits2, bfloat16: bfloat16), evenA)
            odd2 = multiplyAdd(odd2, oddHalf(bits2, bfloat16: bfloat16), oddA)
            even3 = multiplyAdd(even3, evenHalf(bits3, bfloat16: bfloat16), evenA)
            odd3 = multiplyAdd(odd3, oddHalf(bits3, bfloat16: bfloat16), oddA)
            i &+= block
        }
        sums[0] = horizontalSum(even0 + odd0)
        sums[1] = horizontalSum(even1 + odd1)
        sums[2] = horizontalSum(even2 + odd2)
        sums[3] = horizontalSum(even3 + odd3)
    }

    /// The even-indexed weights (low halves of the lanes) of one load as `Float`.
    @inline(__always)
    static func evenHalf(_ bits: IntVector, bfloat16: Bool) -> Vector {
        bfloat16 ? unsafeBitCast(bits &<< 16, to: Vector.self) : halfToFloat(bits & IntVector(repeating: 0xFFFF))
    }

    /// The odd-indexed weights (high halves of the lanes) of one load as `Float`.
    @inline(__always)
    static func oddHalf(_ bits: IntVector, bfloat16: Bool) -> Vector {
        bfloat16
            ? unsafeBitCast(bits & IntVector(repeating: Int32(bitPattern: 0xFFFF_0000)), to: Vector.self)
            : halfToFloat((bits &>> 16) & IntVector(repeating: 0xFFFF))
    }

    /// binary16 bit patterns (one per lane, upper half zero) → `Float`, exactly as `f16ToFloat`.
    @inline(__always)
    static func halfToFloat(_ half: IntVector) -> Vector {
        let shiftedExponent = IntVector(repeating: 0x7C00 << 13)
        let unbiased = (half & IntVector(repeating: 0x7FFF)) &<< 13
        let exponent = unbiased & shiftedExponent
        let rebiased = unbiased &+ IntVector(repeating: (127 - 15) << 23)
        var magnitude = rebiased
        magnitude.replace(with: rebiased &+ IntVector(repeating: (128 - 16) << 23), where: exponent .== shiftedExponent)
        let magic = Vector(repeating: Float(bitPattern: 113 << 23))
        let renormalized = unsafeBitCast(
            unsafeBitCast(rebiased &+ IntVector(repeating: 1 << 23), to: Vector.self) - magic, to: IntVector.self)
        magnitude.replace(with: renormalized, where: exponent .== IntVector())
        return unsafeBitCast(magnitude | ((half & IntVector(repeating: 0x8000)) &<< 16), to: Vector.self)
    }
}
