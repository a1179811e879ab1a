/// The sub-block search of ggml's `quantize_row_iq4_nl_impl` without an importance matrix
/// (weights `x²`, `ntry = 7`, the `kvalues_iq4nl` codebook), shared by IQ4_NL and IQ4_XS.
///
/// For a sub-block of 32 values with signed maximum `max` (first of largest magnitude) it tries
/// `id = 1 / (−max / −127)` and then `id = (t − 127) / max` for `t = −7…7`, each time mapping
/// every `id·x` to its nearest level `q`, and keeps the least-squares scale `Σwqx / Σwq²` of the
/// first candidate and of every later one with a larger `(Σwqx)² / Σwq²`.
enum GGMLIQ4Search {
    static let subBlock = 32
    /// ggml's `GROUP_MAX_EPS`: a sub-block whose largest magnitude is below it gets scale 0.
    static let groupMaxEpsilon: Float = 1e-15

    /// The search as ggml writes it: one candidate after another, binary-search level lookups.
    /// `weights` are the imatrix path's `qw · sqrt(σ² + x²)`; without them each value weighs `x²`.
    static func scaleScalar(_ x: UnsafePointer<Float>, weights: UnsafePointer<Float>? = nil) -> Float {
        var amax: Float = 0, maximum: Float = 0
        for index in 0..<subBlock {
            let ax = abs(x[index])
            if ax > amax { amax = ax; maximum = x[index] }
        }
        if amax < groupMaxEpsilon { return 0 }
        var d = -maximum / GGMLLowBit.iq4Level(0)
        var id = 1 / d
        var sumQX: Float = 0, sumQ2: Float = 0
        for index in 0..<subBlock {
            let q = GGMLLowBit.iq4Level(GGMLLowBit.bestIndexScalar(id * x[index]))
            let w = weights?[index] ?? x[index] * x[index]
            sumQX += w * q * x[index]
            sumQ2 += w * q * q
        }
        d = sumQ2 > 0 ? sumQX / sumQ2 : 0
        var best = d * sumQX
        for attempt in -7...7 {
            id = Float(attempt - 127) / maximum
            sumQX = 0
            sumQ2 = 0
            for index in 0..<subBlock {
                let q = GGMLLowBit.iq4Level(GGMLLowBit.bestIndexScalar(id * x[index]))
                let w = weights?[index] ?? x[index] * x[index]
                sumQX += w * q * x[index]
                sumQ2 += w * q * q
            }
            if sumQ2 > 0 && sumQX * sumQX > best * sumQ2 {
                d = sumQX / sumQ2
                best = d * sumQX
            }
        }
        return d
    }

    /// The same search with the 16 candidates side by side: lane 0 is the first candidate, lanes
    /// 1…15 are `t = −7…7`. For each value every lane does the scalar's float operations (the
    /// branch-free level lookup equals the binary search), accumulating in value order; the lanes
    /// are then compared in candidate order, as the scalar loop compares them.
    static func scaleSIMD(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, maximum: Float = 0
        for index in 0..<subBlock {
            let ax = abs(x[index])
            let larger = ax > amax
            amax = larger ? ax : amax
            maximum = larger ? x[index] : maximum
        }
        if amax < groupMaxEpsilon { return 0 }
        return withUnsafeTemporaryAllocation(of: Float.self, capacity: 48) { buffer -> Float in
            guard let base = buffer.baseAddress else { return 0 }
            let ids = base, sumQX = base + 16, sumQ2 = base + 32
            ids[0] = 1 / (-maximum / GGMLLowBit.iq4Level(0))
            for lane in 1..<16 { ids[lane] = Float(lane - 8 - 127) / maximum }
            for lane in 0..<16 { sumQX[lane] = 0; sumQ2[lane] = 0 }
            for index in 0..<subBlock {
                let value = x[index]
                let w = value * value
                for lane in 0..<16 {
                    let q = GGMLLowBit.bestIndexBranchFree(ids[lane] * value).level
                    sumQX[lane] += w * q * value
                    sumQ2[lane] += w * q * q
                }
            }
            var d = sumQ2[0] > 0 ? sumQX[0] / sumQ2[0] : 0
            var best = d * sumQX[0]
            for lane in 1..<16 where sumQ2[lane] > 0 && sumQX[lane] * sumQX[lane] > best * sumQ2[lane] {
                d = sumQX[lane] / sumQ2[lane]
                best = d * sumQX[lane]
            }
            return d
        }
    }

    /// Nibbles `best_index_int8(id·x)` of 32 values packed ggml's way: byte `j` holds value `j`
    /// in its low and value `j + 16` in its high nibble.
    @inline(__always)
    static func packScalar(_ x: UnsafePointer<Float>, inverse: Float, into qs: UnsafeMutablePointer<UInt8>) {
        for index in 0..<16 {
            let low = UInt8(truncatingIfNeeded: GGMLLowBit.bestIndexScalar(inverse * x[index]))
            let high = UInt8(truncatingIfNeeded: GGMLLowBit.bestIndexScalar(inverse * x[index + 16]))
            qs[index] = low | (high &<< 4)
        }
    }

    /// `packScalar` with the branch-free lookup (vectorizes over the 16 bytes).
    @inline(__always)
    static func packSIMD(_ x: UnsafePointer<Float>, inverse: Float, into qs: UnsafeMutablePointer<UInt8>) {
        for index in 0..<16 {
            let low = UInt8(truncatingIfNeeded: GGMLLowBit.bestIndexBranchFree(inverse * x[index]).index)
            let high = UInt8(truncatingIfNeeded: GGMLLowBit.bestIndexBranchFree(inverse * x[index + 16]).index)
            qs[index] = low | (high &<< 4)
        }
    }

    /// The IQ4 levels as a vector, for table lookups in the decoders.
    static let levels = SIMD16<Float>(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113)

    /// Decodes 16 bytes of nibbles (32 values, layout as `packScalar`) times `scale`.
    @inline(__always)
    static func decodeScalar(_ qs: UnsafeRawPointer, scale: Float, into values: UnsafeMutablePointer<Float>) {
        for index in 0..<16 {
            let byte = qs.load(fromByteOffset: index, as: UInt8.self)
            values[index] = scale * GGMLLowBit.iq4Level(Int(byte & 0xF))
            values[index + 16] = scale * GGMLLowBit.iq4Level(Int(byte >> 4))
        }
    }

    /// `decodeScalar` by table: the 16 products `scale · level` (one vector multiply, the same
    /// single rounding as the scalar's per-value product) looked up by nibble.
    @inline(__always)
    static func decodeSIMD(_ qs: UnsafeRawPointer, scale: Float, into values: UnsafeMutablePointer<Float>) {
        withUnsafeTemporaryAllocation(of: SIMD16<Float>.self, capacity: 1) { buffer in
            guard let slot = buffer.baseAddress else { return }
            slot.initialize(to: levels * scale)
            UnsafeMutableRawPointer(slot).withMemoryRebound(to: Float.self, capacity: 16) { table in
                for index in 0..<16 {
                    let byte = qs.load(fromByteOffset: index, as: UInt8.self)
                    values[index] = table[Int(byte & 0xF)]
                    values[index + 16] = table[Int(byte &>> 4)]
                }
            }
        }
    }
}
