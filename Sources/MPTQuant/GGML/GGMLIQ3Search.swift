/// Where `GGMLIQ3Search` puts a super-block's results: grid indices and sign codes per sub-block,
/// then the super-block scale and the per-sub-block scale levels.
protocol GGMLIQ3BlockWriter {
    /// Zeroes the whole block (`d = 0`, every index, sign and scale 0).
    func clear()
    /// Sub-block `subBlock`'s 8 grid indices and 4 sign codes; `slot` counts the sub-blocks
    /// stored before it (IQ3_S's `qs`/`signs` pointers advance only past stored sub-blocks).
    func store(subBlock: Int, slot: Int, gridIndices: UnsafePointer<Int>, signs: UnsafePointer<UInt8>)
    /// The super-block scale `max_scale / 31` and the 8 scale levels 0…15.
    func store(scale d: Float, levels: UnsafePointer<Int32>)
}

/// An IQ3 block format: its search rules and block writer; the entry points of
/// `GGMLWeightedBlockFormat` follow. Scalar only (ggml has no SIMD quantizer to compare), so the
/// SIMD entry points run the scalar code.
protocol GGMLIQ3Format: GGMLWeightedBlockFormat {
    associatedtype Writer: GGMLIQ3BlockWriter
    static var rules: GGMLIQ3Search.Rules { get }
    static func writer(_ block: UnsafeMutableRawPointer) -> Writer
}

extension GGMLIQ3Format {
    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        GGMLIQ3Search.encode(values, importance: nil, rules: rules, into: writer(block))
    }

    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        quantizeBlockScalar(values, into: block)
    }

    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer
    ) {
        GGMLIQ3Search.encode(values, importance: importance, rules: rules, into: writer(block))
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        dequantizeBlockScalar(block, into: values)
    }
}

/// The search of ggml's `quantize_row_iq3_xxs_impl` and `quantize_row_iq3_s_impl` (block size
/// 32) for one super-block of 256 values, in their operation order (f32 throughout,
/// `nearest_int`, trial scales around `max / 15`, then a re-fit). The two differ only in the
/// points of `Rules`.
enum GGMLIQ3Search {
    static let maxLevel = 8  // kMaxQ

    /// Where `quantize_row_iq3_xxs_impl` and `quantize_row_iq3_s_impl` differ.
    struct Rules: Sendable {
        /// IQ3_XXS stores 7 sign bits per 8 values: an odd count of negatives leaves the value of
        /// least `w·x²` with the wrong sign. IQ3_S stores all 8.
        let evenSigns: Bool
        /// A sub-block is stored as zero when its largest magnitude is below this
        /// (`GROUP_MAX_EPS_IQ3_XXS`), or, when nil, only when it is zero (`!max`, IQ3_S).
        let zeroBelow: Float?
        /// Trial scales `(15 + 0.2·is) / max` for `is` in `-trialSteps...trialSteps`.
        let trialSteps: Int
        /// IQ3_S starts with every group marked off the grid and re-fits all groups; IQ3_XXS
        /// starts on the grid and re-fits only the off-grid groups.
        let refitAllGroups: Bool
        /// IQ3_XXS zeroes the quants of a super-block whose scales are all zero; IQ3_S keeps them.
        let clearWhenAllZero: Bool
        /// The lattice searched.
        let lattice: GGMLIQ3Lattice

        static let xxs = Rules(evenSigns: true, zeroBelow: 1e-8, trialSteps: 15, refitAllGroups: false,
                               clearWhenAllZero: true, lattice: .xxs)
        static let s = Rules(evenSigns: false, zeroBelow: nil, trialSteps: 9, refitAllGroups: true,
                             clearWhenAllZero: false, lattice: .s)
    }

    static func encode<Writer: GGMLIQ3BlockWriter>(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>?, rules: Rules, into writer: Writer
    ) {
        let lattice = rules.lattice
        writer.clear()
        var sumX2: Float = 0
        for i in 0..<256 { sumX2 += values[i] * values[i] }
        let sigma2 = 2 * sumX2 / 256
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 3 * 32 + 8) { floats in
            withUnsafeTemporaryAllocation(of: Int8.self, capacity: 64) { bytes in
                withUnsafeTemporaryAllocation(of: Int.self, capacity: 8) { indices in
                    withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 4) { signBuffer in
                        withUnsafeTemporaryAllocation(of: Int32.self, capacity: 8) { levelBuffer in
                            guard let f = floats.baseAddress, let b = bytes.baseAddress, let gridIndices = indices.baseAddress,
                                  let signs = signBuffer.baseAddress, let levels = levelBuffer.baseAddress else { return }
                            let weight = f, waux = f + 32, xval = f + 64, scales = f + 96
                            let l = b, laux = b + 32
                            var maxScale: Float = 0
                            var stored = 0
                            for ib in 0..<8 {
                                let x = values + 32 * ib
                                if let importance {
                                    let qw = importance + 32 * ib
                                    for i in 0..<32 { weight[i] = qw[i] * (sigma2 + x[i] * x[i]).squareRoot() }
                                } else {
                                    for i in 0..<32 { weight[i] = x[i] * x[i] }
                                }
                                for i in 0..<32 { waux[i] = weight[i].squareRoot() }
                                signCodes(x, weight: weight, xval: xval, signs: signs, even: rules.evenSigns)
                                var largest = xval[0]
                                for i in 1..<32 { largest = largest > xval[i] ? largest : xval[i] }
                                l.initialize(repeating: 0, count: 32)
                                if let zeroBelow = rules.zeroBelow {
                                    if largest < zeroBelow { scales[ib] = 0; continue }
                                } else if largest == 0 {
                                    scales[ib] = 0; continue
                                }
                                var scale = fitScale(
                                    largest: largest, weight: weight, waux: waux, xval: xval, l: l, laux: laux, rules: rules)
                                if scale < 0 {
                                    scale = -scale
                                    for k in 0..<4 { signs[k] = ~signs[k] & (rules.evenSigns ? 127 : 255) }
                                }
                                for k in 0..<8 {
                                    let index = lattice.map[GGMLIQ3Lattice.code(l + 4 * k)]
                                    gridIndices[k] = index >= 0 ? Int(index) : 0  // ggml aborts here; never reached
                                }
                                writer.store(subBlock: ib, slot: stored, gridIndices: gridIndices, signs: signs)
                                stored += 1
                                scales[ib] = scale
                                maxScale = maxScale > scale ? maxScale : scale
                            }
                            if maxScale == 0 {
                                if rules.clearWhenAllZero { writer.clear() }
                                return
                            }
                            let d = maxScale / 31
                            let inverse = 1 / d
                            for ib in 0..<8 {
                                levels[ib] = GGMLLowBit.clamp(GGMLLowBit.nearestInt(0.5 * (inverse * scales[ib] - 1)), 0, 15)
                            }
                            writer.store(scale: d, levels: levels)
                        }
                    }
                }
            }
        }
    }

    /// Absolute values into `xval` and the sign bits of each group of 8. With `even`, an odd
    /// number of negatives leaves the value of least `w·x²` (first on ties) with the wrong sign
    /// and the code keeps 7 bits.
    @inline(__always)
    static func signCodes(
        _ x: UnsafePointer<Float>, weight: UnsafePointer<Float>, xval: UnsafeMutablePointer<Float>,
        signs: UnsafeMutablePointer<UInt8>, even: Bool
    ) {
        for k in 0..<4 {
            var flips = 0
            var s: UInt8 = 0
            for i in 0..<8 {
                let value = x[8 * k + i]
                if value >= 0 {
                    xval[8 * k + i] = value
                } else {
                    xval[8 * k + i] = -value; flips += 1; s |= 1 << UInt8(i)
                }
            }
            guard even else { signs[k] = s; continue }
            if flips % 2 != 0 {
                var imin = 0
                var least = weight[8 * k] * x[8 * k] * x[8 * k]
                for i in 1..<8 {
                    let ax = weight[8 * k + i] * x[8 * k + i] * x[8 * k + i]
                    if ax < least { least = ax; imin = i }
                }
                xval[8 * k + imin] = -xval[8 * k + imin]
                s ^= 1 << UInt8(imin)
            }
            signs[k] = s & 127
        }
    }

    /// The trial-scale search and the off-grid re-fit; leaves the levels in `l`, returns the scale.
    @inline(__always)
    static func fitScale(
        largest: Float, weight: UnsafePointer<Float>, waux: UnsafePointer<Float>, xval: UnsafePointer<Float>,
        l: UnsafeMutablePointer<Int8>, laux: UnsafeMutablePointer<Int8>, rules: Rules
    ) -> Float {
        let lattice = rules.lattice
        let top = Float(2 * maxLevel - 1)
        var best: Float = 0
        var scale = largest / top
        var onGrid: UInt8 = rules.refitAllGroups ? 0 : 0xFF, onGridTrial: UInt8 = 0
        for step in -rules.trialSteps...rules.trialSteps {
            let id = (top + Float(step) * 0.2) / largest
            let thisScale = 1 / id
            onGridTrial = 0xFF
            for k in 0..<8 {
                for i in 0..<4 {
                    let level = GGMLLowBit.nearestInt(0.5 * (id * xval[4 * k + i] - 1))
                    laux[4 * k + i] = Int8(GGMLLowBit.clamp(level, 0, Int32(maxLevel - 1)))
                }
                let code = GGMLIQ3Lattice.code(laux + 4 * k)
                if lattice.map[code] < 0 {
                    onGridTrial &= ~(1 << UInt8(k))
                    _ = lattice.bestNeighbour(
                        code: code, values: xval + 4 * k, weights: waux + 4 * k, scale: thisScale, into: laux + 4 * k)
                }
            }
            let (sumQX, sumQ2) = sums(weight: weight, xval: xval, levels: laux)
            if sumQ2 > 0 && sumQX * sumQX > best * sumQ2 {
                scale = sumQX / sumQ2; best = scale * sumQX
                l.update(from: laux, count: 32)
                onGrid = onGridTrial
            }
        }
        guard onGrid != 0xFF && scale > 0 else { return scale }
        let id = 1 / scale
        for k in 0..<8 where rules.refitAllGroups || onGrid & (1 << UInt8(k)) == 0 {
            var code = 0
            for i in 0..<4 {
                let level = GGMLLowBit.clamp(GGMLLowBit.nearestInt(0.5 * (id * xval[4 * k + i] - 1)), 0, Int32(maxLevel - 1))
                code |= Int(level) << (3 * i)
            }
            var index = Int(lattice.map[code])
            if index < 0 {
                index = lattice.bestNeighbour(code: code, values: xval + 4 * k, weights: waux + 4 * k, scale: scale, into: l + 4 * k)
            }
            for i in 0..<4 { l[4 * k + i] = (lattice.levels[4 * index + i] - 1) / 2 }
        }
        let (sumQX, sumQ2) = sums(weight: weight, xval: xval, levels: l)
        return sumQ2 > 0 ? sumQX / sumQ2 : scale
    }

    /// `Σ w·x·q` and `Σ w·q²` with `q = 2l + 1`, in index order.
    @inline(__always)
    static func sums(weight: UnsafePointer<Float>, xval: UnsafePointer<Float>, levels: UnsafePointer<Int8>) -> (Float, Float) {
        var sumQX: Float = 0, sumQ2: Float = 0
        for i in 0..<32 {
            let w = weight[i]
            let q = Float(2 * Int32(levels[i]) + 1)
            sumQX += w * xval[i] * q
            sumQ2 += w * q * q
        }
        return (sumQX, sumQ2)
    }
}
