/// Helpers shared by the Q2_K, Q3_K, IQ4_NL and IQ4_XS block formats: ggml's `nearest_int`,
/// the IQ4 codebook and its `best_index_int8` lookup (a binary search for the scalar twins, a
/// branch-free count for the SIMD twins), and a finiteness check.
///
/// Every function is total: NaN, ±inf and huge values give ggml's answers (bit operations and
/// IEEE comparisons only, no float→integer conversions that could trap).
enum GGMLLowBit {
    /// ggml's `nearest_int`: adds `1.5 × 2²³` and reads the integer from the low 23 mantissa bits
    /// (round to nearest even for |x| < 2²²). Outside that range, and for NaN, it returns what
    /// the C code returns (the same bits), never trapping.
    @inline(__always)
    static func nearestInt(_ value: Float) -> Int32 {
        let shifted = value + GGMLBlockBits.roundingMagic
        return Int32(bitPattern: shifted.bitPattern & 0x007F_FFFF) &- 0x0040_0000
    }

    /// `MAX(low, MIN(high, value))` on C ints.
    @inline(__always)
    static func clamp(_ value: Int32, _ low: Int32, _ high: Int32) -> Int32 {
        let capped = value < high ? value : high
        return capped > low ? capped : low
    }

    /// ggml's `kvalues_iq4nl`, the 16 non-linear IQ4 levels (ascending).
    static let iq4Levels: [Int8] = [-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113]

    /// The IQ4 levels as `Float`, indexed by a nibble.
    @inline(__always)
    static func iq4Level(_ index: Int) -> Float {
        switch index & 15 {
        case 0: return -127
        case 1: return -104
        case 2: return -83
        case 3: return -65
        case 4: return -49
        case 5: return -35
        case 6: return -22
        case 7: return -10
        case 8: return 1
        case 9: return 13
        case 10: return 25
        case 11: return 38
        case 12: return 53
        case 13: return 69
        case 14: return 89
        default: return 113
        }
    }

    /// ggml's `best_index_int8(16, kvalues_iq4nl, x)`, as written: clamp to the ends, binary
    /// search for the bracketing pair, then the nearer one (the upper on ties and for NaN).
    @inline(__always)
    static func bestIndexScalar(_ x: Float) -> Int {
        if x <= iq4Level(0) { return 0 }
        if x >= iq4Level(15) { return 15 }
        var low = 0, high = 15
        while high - low > 1 {
            let middle = (low + high) / 2
            if x < iq4Level(middle) { high = middle } else { low = middle }
        }
        return x - iq4Level(high - 1) < iq4Level(high) - x ? high - 1 : high
    }

    /// Branch-free `bestIndexScalar` for the SIMD twins, also returning the level: the lower end
    /// of the bracket is the number of levels 1…14 that `x` is not below (`!(x < v)`, so NaN
    /// counts as above all of them, as in the binary search), and the nearer end is chosen with
    /// the same float comparison `x − low < high − x`. Equal to the binary search for every `x`.
    /// Comparisons become 0/1 integers and the bracket ends sums of exact small integers, so the
    /// code has no branches or table lookups and vectorizes across lanes.
    @inline(__always)
    static func bestIndexBranchFree(_ x: Float) -> (index: Int32, level: Float) {
        var count: Int32 = 0
        var lowSteps: Int32 = 0
        var highSteps: Int32 = 0
        step(x, -104, 23, 21, &count, &lowSteps, &highSteps)
        step(x, -83, 21, 18, &count, &lowSteps, &highSteps)
        step(x, -65, 18, 16, &count, &lowSteps, &highSteps)
        step(x, -49, 16, 14, &count, &lowSteps, &highSteps)
        step(x, -35, 14, 13, &count, &lowSteps, &highSteps)
        step(x, -22, 13, 12, &count, &lowSteps, &highSteps)
        step(x, -10, 12, 11, &count, &lowSteps, &highSteps)
        step(x, 1, 11, 12, &count, &lowSteps, &highSteps)
        step(x, 13, 12, 12, &count, &lowSteps, &highSteps)
        step(x, 25, 12, 13, &count, &lowSteps, &highSteps)
        step(x, 38, 13, 15, &count, &lowSteps, &highSteps)
        step(x, 53, 15, 16, &count, &lowSteps, &highSteps)
        step(x, 69, 16, 20, &count, &lowSteps, &highSteps)
        step(x, 89, 20, 24, &count, &lowSteps, &highSteps)
        let low = Float(lowSteps &- 127)
        let high = Float(highSteps &- 104)
        let takeHigh = notBelow(x - low, high - x)
        let level = low + Float(takeHigh) * (high - low)
        return (count &+ takeHigh, level)
    }

    /// One level of `bestIndexBranchFree`: when `x` is not below `bound` (level k), the bracket
    /// moves up one level: its lower end by `lowStep` (level k − level k−1), its upper end by
    /// `highStep` (level k+1 − level k).
    @inline(__always)
    static func step(
        _ x: Float, _ bound: Float, _ lowStep: Int32, _ highStep: Int32,
        _ count: inout Int32, _ lowSteps: inout Int32, _ highSteps: inout Int32
    ) {
        let taken = notBelow(x, bound)
        count &+= taken
        lowSteps &+= taken &* lowStep
        highSteps &+= taken &* highStep
    }

    /// `condition` as 0 or 1, for combining conditions without short-circuit branches.
    @inline(__always)
    static func bit(_ condition: Bool) -> Int32 {
        Int32(unsafeBitCast(condition, to: UInt8.self))
    }

    /// `!(x < bound)` as 0 or 1 (a zero-extended compare, never a branch).
    @inline(__always)
    static func notBelow(_ x: Float, _ bound: Float) -> Int32 {
        Int32(unsafeBitCast(!(x < bound), to: UInt8.self))
    }

    /// True when none of the `count` values is NaN or ±inf (a bit-pattern maximum LLVM
    /// vectorizes). The SIMD twins hand blocks failing it to their scalar twin.
    @inline(__always)
    static func allFinite(_ values: UnsafePointer<Float>, count: Int) -> Bool {
        var largest: UInt32 = 0
        for index in 0..<count {
            let magnitude = values[index].bitPattern & 0x7FFF_FFFF
            largest = largest > magnitude ? largest : magnitude
        }
        return largest < 0x7F80_0000
    }

    /// Loads a little-endian binary16 at `offset` as `Float`.
    @inline(__always)
    static func loadHalf(_ block: UnsafeRawPointer, at offset: Int) -> Float {
        GGMLBlockBits.loadHalf(from: block + offset)
    }

    /// Stores `value` as a little-endian binary16 at `offset` (round to nearest even).
    @inline(__always)
    static func storeHalf(_ value: Float, _ block: UnsafeMutableRawPointer, at offset: Int) {
        GGMLBlockBits.storeHalf(value, to: block + offset)
    }

    /// Packs 256 2-bit quants the K-quant way: byte `32·h + l` of `qs` holds quants
    /// `128·h + l + 32·s` in bits `2s…2s+1`, s = 0…3.
    @inline(__always)
    static func pack2Bit(_ quants: UnsafePointer<UInt8>, into qs: UnsafeMutablePointer<UInt8>) {
        for half in 0..<2 {
            let base = 128 * half
            for lane in 0..<32 {
                let q0 = quants[base + lane], q1 = quants[base + lane + 32]
                let q2 = quants[base + lane + 64], q3 = quants[base + lane + 96]
                qs[32 * half + lane] = q0 | (q1 &<< 2) | (q2 &<< 4) | (q3 &<< 6)
            }
        }
    }
}
