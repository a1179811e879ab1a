import MPTCore
import MPTFormats

/// ggml `Q2_K`: super-blocks of 256 values in 16 sub-blocks of 16, each value
/// `d·sc·q − dmin·m` with a 2-bit quant `q`, 4-bit sub-block scale `sc` and min `m`
/// (84 bytes: `scales[16]` = `sc | m << 4`, `qs[64]` 2-bit quants packed as `pack2Bit`,
/// binary16 `d` at 80 and `dmin` at 82).
///
/// Byte-identical to `quantize_row_q2_K_ref` (what `ggml_quantize_chunk` runs without an
/// importance matrix): each sub-block is fitted by `make_qkx2_quants(16, 3, x, |x|, …, −0.5, 0.1,
/// 15, use_mad)`, the scales and mins are quantized against their maxima with `nearest_int`, and
/// the quants are recomputed from the f16-rounded scales with `(x + dm) / d`.
///
/// The SIMD twin runs the sixteen sub-block fits side by side in the active `KernelLevel`'s
/// `scaleMinScales` (the one `make_qkx2_quants` kernel Q4_K and Q5_K use too), one sub-block per
/// lane, each lane doing exactly the scalar sequence of float operations (sums in the same order,
/// branches turned into selects), so the bytes are identical; blocks holding NaN or ±inf take the
/// scalar twin.
enum GGMLQ2_K: GGMLBlockFormat {
    static let type = GGMLType.q2_K
    static let blockSize = 256
    static let scalesOffset = 0, quantsOffset = 16, scaleOffset = 80, minOffset = 82

    // MARK: Scalar twin

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 + 16) { quantBuffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 48) { floatBuffer in
                guard let quants = quantBuffer.baseAddress, let floats = floatBuffer.baseAddress else { return }
                let scratch = quants + 256
                let weights = floats, scales = floats + 16, mins = floats + 32
                var maxScale: Float = 0, maxMin: Float = 0
                for sub in 0..<16 {
                    let x = values + 16 * sub
                    for index in 0..<16 { weights[index] = abs(x[index]) }
                    let fit = fitScalar(x, weights: weights, quants: quants + 16 * sub, scratch: scratch)
                    scales[sub] = fit.scale
                    mins[sub] = fit.min
                    if fit.scale > maxScale { maxScale = fit.scale }
                    if fit.min > maxMin { maxMin = fit.min }
                }
                finish(values, scales: scales, mins: mins, maxScale: maxScale, maxMin: maxMin, quants: quants, block: block)
            }
        }
    }

    /// `make_qkx2_quants(16, 3, x, weights, L, &the_min, Laux, -0.5f, 0.1f, 15, true)`:
    /// returns the scale and `the_min` (the negated, non-negative offset).
    static func fitScalar(
        _ x: UnsafePointer<Float>, weights: UnsafePointer<Float>,
        quants: UnsafeMutablePointer<UInt8>, scratch: UnsafeMutablePointer<UInt8>
    ) -> (scale: Float, min: Float) {
        let fit = GGMLKQuantSearch.scaleMin(
            x, weights: weights, count: 16, maxLevel: 3, rmin: -0.5, rdelta: 0.1, steps: 15,
            levels: quants, scratch: scratch, variant: .qkx2MAD)
        return (fit.scale, fit.negatedMin)
    }

    /// The part after the sub-block fits, shared by both twins (scalar loops over 16 scales,
    /// then the 256 requantized values in a branch-free loop): quantize scales and mins against
    /// their maxima, store them and `d`/`dmin`, recompute the quants, pack.
    @inline(__always)
    static func finish(
        _ values: UnsafePointer<Float>, scales: UnsafePointer<Float>, mins: UnsafePointer<Float>,
        maxScale: Float, maxMin: Float, quants: UnsafeMutablePointer<UInt8>, block: UnsafeMutableRawPointer
    ) {
        let q4scale: Float = 15
        let packedScales = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
        if maxScale > 0 {
            let iscale = q4scale / maxScale
            for sub in 0..<16 { packedScales[sub] = UInt8(truncatingIfNeeded: GGMLLowBit.nearestInt(iscale * scales[sub])) }
            GGMLLowBit.storeHalf(maxScale / q4scale, block, at: scaleOffset)
        } else {
            for sub in 0..<16 { packedScales[sub] = 0 }
            GGMLLowBit.storeHalf(0, block, at: scaleOffset)
        }
        if maxMin > 0 {
            let iscale = q4scale / maxMin
            for sub in 0..<16 {
                packedScales[sub] |= UInt8(truncatingIfNeeded: GGMLLowBit.nearestInt(iscale * mins[sub]) &<< 4)
            }
            GGMLLowBit.storeHalf(maxMin / q4scale, block, at: minOffset)
        } else {
            GGMLLowBit.storeHalf(0, block, at: minOffset)
        }
        requantize(values, quants: quants, block: block)
    }

    /// Recomputes the quants from the stored (f16) `d`, `dmin` and 4-bit scales and mins
    /// (`nearest_int((x + dm) / d)` clamped to 0…3; a sub-block whose `d` is zero keeps its
    /// fitted quants) and packs them.
    @inline(__always)
    static func requantize(_ values: UnsafePointer<Float>, quants: UnsafeMutablePointer<UInt8>, block: UnsafeMutableRawPointer) {
        let packedScales = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
        let superScale = GGMLLowBit.loadHalf(UnsafeRawPointer(block), at: scaleOffset)
        let superMin = GGMLLowBit.loadHalf(UnsafeRawPointer(block), at: minOffset)
        for sub in 0..<16 {
            let packed = packedScales[sub]
            let d = superScale * Float(packed & 0xF)
            let dm = superMin * Float(packed >> 4)
            // `if (!d) continue;` keeps the fitted quants of a sub-block whose scale is zero.
            if d == 0 { continue }
            for part in 0..<2 {
                let index = 16 * sub + 8 * part
                let l = GGMLKQuantSearch.clamp(GGMLBlockBits.nearestInt((GGMLBlockBits.load8(values, index) + dm) / d), 0, 3)
                GGMLBlockBits.storeBytes8(l, quants + index)
            }
        }
        GGMLLowBit.pack2Bit(quants, into: (block + quantsOffset).assumingMemoryBound(to: UInt8.self))
    }

    // MARK: SIMD twin

    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        guard GGMLLowBit.allFinite(values, count: blockSize) else { return quantizeBlockScalar(values, into: block) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockSize) { quantBuffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: blockSize + 32) { floatBuffer in
                guard let quants = quantBuffer.baseAddress, let floats = floatBuffer.baseAddress else { return }
                let weights = floats, scales = floats + blockSize, mins = floats + blockSize + 16
                for index in 0..<blockSize { weights[index] = abs(values[index]) }
                KernelLevel.quantKernels.scaleMinScales(
                    values, weights: weights, groupSize: 16, maxLevel: 3, rmin: -0.5, rdelta: 0.1, steps: 15, meanAbsolute: true,
                    flatWhenMaxNotAbove: false,
                    scales: scales, negatedMins: mins, levels: quants)
                var maxScale: Float = 0, maxMin: Float = 0
                for sub in 0..<16 {
                    if scales[sub] > maxScale { maxScale = scales[sub] }
                    if mins[sub] > maxMin { maxMin = mins[sub] }
                }
                finish(values, scales: scales, mins: mins, maxScale: maxScale, maxMin: maxMin, quants: quants, block: block)
            }
        }
    }

    // MARK: Decoding

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLLowBit.loadHalf(block, at: scaleOffset)
        let dmin = GGMLLowBit.loadHalf(block, at: minOffset)
        var output = values
        var sub = 0
        for half in 0..<2 {
            let qs = quantsOffset + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let packed = block.load(fromByteOffset: scalesOffset + sub, as: UInt8.self)
                    sub += 1
                    let dl = d * Float(packed & 0xF), ml = dmin * Float(packed >> 4)
                    for index in 0..<16 {
                        let q = (block.load(fromByteOffset: qs + 16 * part + index, as: UInt8.self) >> shift) & 3
                        output[index] = dl * Float(q) - ml
                    }
                    output += 16
                }
            }
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLLowBit.loadHalf(block, at: scaleOffset)
        let dmin = GGMLLowBit.loadHalf(block, at: minOffset)
        for sub in 0..<16 {
            // Sub-block `sub` covers values 16·sub…: half `sub / 8`, shift `2·((sub / 2) % 4)`,
            // bytes 16·(sub % 2)… of that half's 32.
            let packed = block.load(fromByteOffset: scalesOffset + sub, as: UInt8.self)
            let dl = d * Float(packed & 0xF), ml = dmin * Float(packed >> 4)
            let shift = UInt8(truncatingIfNeeded: 2 * ((sub / 2) % 4))
            let base = quantsOffset + 32 * (sub / 8) + 16 * (sub % 2)
            for part in 0..<2 {
                let bytes = block.loadUnaligned(fromByteOffset: base + 8 * part, as: SIMD8<UInt8>.self)
                let q = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: (bytes &>> shift) & 3))
                GGMLBlockBits.store8(dl * q - ml, values, 16 * sub + 8 * part)
            }
        }
    }
}
