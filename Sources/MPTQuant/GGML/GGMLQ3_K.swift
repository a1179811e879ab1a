import MPTCore
import MPTFormats

/// ggml `Q3_K`: super-blocks of 256 values in 16 sub-blocks of 16, each value `d·(sc − 32)·q`
/// with a signed 3-bit quant `q` ∈ −4…3 and a 6-bit sub-block scale `sc` (110 bytes:
/// `hmask[32]` the high quant bits — bit `b` of byte `k` belongs to value `32·b + k`, set when
/// `q ≥ 0` —, `qs[64]` the low 2 bits packed as `pack2Bit`, `scales[12]` the 6-bit scales —
/// low nibbles of sub-blocks 0…7 / 8…15 in the low / high nibbles of bytes 0…7, top two bits of
/// sub-block `j` in bits `2·(j/4)` of byte `8 + j % 4` — and binary16 `d` at 108).
///
/// Byte-identical to `quantize_row_q3_K_ref`: each sub-block is fitted by
/// `make_q3_quants(16, 4, x, L, true)` (weights `x²`, up to five passes of per-element
/// improvements), the scales are quantized against the one of largest magnitude with
/// `nearest_int`, and the quants are recomputed from the f16-rounded scales with `x / d`.
///
/// The SIMD twin runs the sixteen sub-block fits side by side in the active `KernelLevel`'s
/// `refinedSymmetricScales` (one sub-block per lane, each lane doing the scalar sequence of float
/// operations, its improvement passes stopping when the scalar's would); blocks holding NaN or
/// ±inf take the scalar twin.
enum GGMLQ3_K: GGMLBlockFormat {
    static let type = GGMLType.q3_K
    static let blockSize = 256
    static let highMaskOffset = 0, quantsOffset = 32, scalesOffset = 96, scaleOffset = 108
    /// ggml's `GROUP_MAX_EPS`: a sub-block whose largest magnitude is below it counts as zero.
    static let groupMaxEpsilon: Float = 1e-15

    // MARK: Scalar twin

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: 256) { quantBuffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scaleBuffer in
                guard let quants = quantBuffer.baseAddress, let scales = scaleBuffer.baseAddress else { return }
                for sub in 0..<16 {
                    scales[sub] = fitScalar(values + 16 * sub, quants: quants + 16 * sub)
                }
                finish(values, scales: scales, quants: UnsafeMutableRawPointer(quants).assumingMemoryBound(to: UInt8.self), block: block)
            }
        }
    }

    /// `make_q3_quants(16, 4, x, L, true)`: the sub-block's scale; `quants` gets `L + 4`
    /// (or 0 for an all-zero sub-block).
    static func fitScalar(_ x: UnsafePointer<Float>, quants: UnsafeMutablePointer<Int8>) -> Float {
        let nmax: Int32 = 4
        var maximum: Float = 0, amax: Float = 0
        for index in 0..<16 {
            let ax = abs(x[index])
            if ax > amax { amax = ax; maximum = x[index] }
        }
        if amax < groupMaxEpsilon {
            for index in 0..<16 { quants[index] = 0 }
            return 0
        }
        let iscale = Float(-nmax) / maximum
        var sumLX: Float = 0, sumL2: Float = 0
        for index in 0..<16 {
            let l = GGMLLowBit.clamp(GGMLLowBit.nearestInt(iscale * x[index]), -nmax, nmax - 1)
            quants[index] = Int8(truncatingIfNeeded: l)
            let w = x[index] * x[index]
            sumLX += w * x[index] * Float(l)
            sumL2 += w * Float(l) * Float(l)
        }
        for _ in 0..<5 {
            var changed = 0
            for index in 0..<16 {
                let w = x[index] * x[index]
                let current = Float(quants[index])
                var slx = sumLX - w * x[index] * current
                if slx > 0 {
                    var sl2 = sumL2 - w * current * current
                    let newL = GGMLLowBit.clamp(GGMLLowBit.nearestInt(x[index] * sl2 / slx), -nmax, nmax - 1)
                    if newL != Int32(quants[index]) {
                        slx += w * x[index] * Float(newL)
                        sl2 += w * Float(newL) * Float(newL)
                        if sl2 > 0 && slx * slx * sumL2 > sumLX * sumLX * sl2 {
                            quants[index] = Int8(truncatingIfNeeded: newL)
                            sumLX = slx
                            sumL2 = sl2
                            changed += 1
                        }
                    }
                }
            }
            if changed == 0 { break }
        }
        for index in 0..<16 { quants[index] &+= Int8(truncatingIfNeeded: nmax) }
        return sumL2 > 0 ? sumLX / sumL2 : 0
    }

    /// The part after the sub-block fits, shared by both twins: quantize the scales against
    /// the one of largest magnitude, store them and `d`, recompute the quants from the stored
    /// scales, split off the high bits, pack. `quants` holds `L + 4` per value (0…7).
    @inline(__always)
    static func finish(
        _ values: UnsafePointer<Float>, scales: UnsafePointer<Float>,
        quants: UnsafeMutablePointer<UInt8>, block: UnsafeMutableRawPointer
    ) {
        var maxScale: Float = 0, amax: Float = 0
        for sub in 0..<16 {
            let magnitude = abs(scales[sub])
            if magnitude > amax { amax = magnitude; maxScale = scales[sub] }
        }
        let packed = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
        for index in 0..<12 { packed[index] = 0 }
        if maxScale != 0 {
            let iscale = -32 / maxScale
            for sub in 0..<16 {
                let rounded = Int32(Int8(truncatingIfNeeded: GGMLLowBit.nearestInt(iscale * scales[sub])))
                storeScaleLevel(UInt8(truncatingIfNeeded: GGMLLowBit.clamp(rounded, -32, 31) &+ 32), sub: sub, packed: packed)
            }
            GGMLLowBit.storeHalf(1 / iscale, block, at: scaleOffset)
        } else {
            GGMLLowBit.storeHalf(0, block, at: scaleOffset)
        }
        requantize(values, quants: quants, block: block)
    }

    /// Recomputes the quants from the stored `d` and 6-bit scales (`nearest_int(x / d)` clamped
    /// to −4…3, plus 4; a sub-block whose `d` is zero keeps its fitted quants), splits off the
    /// high bits into `hmask` and packs the low two bits.
    @inline(__always)
    static func requantize(_ values: UnsafePointer<Float>, quants: UnsafeMutablePointer<UInt8>, block: UnsafeMutableRawPointer) {
        let packed = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
        let superScale = GGMLLowBit.loadHalf(UnsafeRawPointer(block), at: scaleOffset)
        for sub in 0..<16 {
            let d = superScale * Float(storedScale(packed, sub))
            // `if (!d) continue;` keeps the fitted quants of a sub-block whose scale is zero.
            if d == 0 { continue }
            for part in 0..<2 {
                let index = 16 * sub + 8 * part
                let l = GGMLKQuantSearch.clamp(GGMLBlockBits.nearestInt(GGMLBlockBits.load8(values, index) / d), -4, 3) &+ 4
                GGMLBlockBits.storeBytes8(l, quants + index)
            }
        }
        // Bit `b` of hmask byte `k` is the high bit of value `32·b + k` (one pass per bit, over
        // the 32 bytes at once).
        let highMask = (block + highMaskOffset).assumingMemoryBound(to: UInt8.self)
        for byte in 0..<32 { highMask[byte] = 0 }
        for bit in 0..<8 {
            for byte in 0..<32 {
                let index = 32 * bit + byte
                let high: UInt8 = quants[index] > 3 ? 1 : 0
                highMask[byte] |= high &<< UInt8(bit)
                quants[index] &-= high &* 4
            }
        }
        GGMLLowBit.pack2Bit(quants, into: (block + quantsOffset).assumingMemoryBound(to: UInt8.self))
    }

    /// Stores the 6-bit level `l` (0…63) of sub-block `sub` into the 12 scale bytes (which
    /// start zeroed): low nibble in byte `sub` or the high nibble of `sub − 8`, the top two bits
    /// at bits `2·(sub / 4)` of byte `8 + sub % 4`.
    @inline(__always)
    static func storeScaleLevel(_ l: UInt8, sub: Int, packed: UnsafeMutablePointer<UInt8>) {
        if sub < 8 {
            packed[sub] = l & 0xF
        } else {
            packed[sub - 8] |= (l & 0xF) &<< 4
        }
        packed[8 + sub % 4] |= (l &>> 4) &<< UInt8(2 * (sub / 4))
    }

    /// The 6-bit scale of sub-block `sub` (0…63, before subtracting 32).
    @inline(__always)
    static func storedScale(_ packed: UnsafePointer<UInt8>, _ sub: Int) -> Int32 {
        let low = sub < 8 ? packed[sub] & 0xF : packed[sub - 8] &>> 4
        let high = (packed[8 + sub % 4] &>> UInt8(2 * (sub / 4))) & 3
        return Int32(low | (high &<< 4)) &- 32
    }

    // MARK: SIMD twin

    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        guard GGMLLowBit.allFinite(values, count: blockSize) else { return quantizeBlockScalar(values, into: block) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockSize) { quantBuffer in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: 16) { scaleBuffer in
                guard let quants = quantBuffer.baseAddress, let scales = scaleBuffer.baseAddress else { return }
                KernelLevel.quantKernels.refinedSymmetricScales(values, maxLevel: 4, scales: scales, levels: quants)
                finish(values, scales: scales, quants: quants, block: block)
            }
        }
    }

    // MARK: Decoding

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLLowBit.loadHalf(block, at: scaleOffset)
        let packed = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
        var output = values
        var sub = 0
        var mask: UInt8 = 1
        for half in 0..<2 {
            let qs = quantsOffset + 32 * half
            for shift in stride(from: 0, to: 8, by: 2) {
                for part in 0..<2 {
                    let dl = d * Float(storedScale(packed, sub))
                    sub += 1
                    for index in 0..<16 {
                        let q = Int32((block.load(fromByteOffset: qs + 16 * part + index, as: UInt8.self) >> shift) & 3)
                        let high = block.load(fromByteOffset: highMaskOffset + 16 * part + index, as: UInt8.self) & mask
                        output[index] = dl * Float(q - (high != 0 ? 0 : 4))
                    }
                    output += 16
                }
                mask = mask &<< 1
            }
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLLowBit.loadHalf(block, at: scaleOffset)
        let packed = (block + scalesOffset).assumingMemoryBound(to: UInt8.self)
        for sub in 0..<16 {
            // Sub-block `sub`: half `sub / 8`, 2-bit field `(sub / 2) % 4` (which is also the
            // high-mask bit within the half), bytes 16·(sub % 2)… of the half's 32.
            let dl = d * Float(storedScale(packed, sub))
            let field = (sub / 2) % 4
            let shift = UInt8(truncatingIfNeeded: 2 * field)
            let highShift = UInt8(truncatingIfNeeded: 4 * (sub / 8) + field)
            let base = quantsOffset + 32 * (sub / 8) + 16 * (sub % 2)
            for part in 0..<2 {
                let bytes = block.loadUnaligned(fromByteOffset: base + 8 * part, as: SIMD8<UInt8>.self)
                let highBytes = block.loadUnaligned(fromByteOffset: highMaskOffset + 16 * (sub % 2) + 8 * part, as: SIMD8<UInt8>.self)
                let low = SIMD8<Int32>(truncatingIfNeeded: (bytes &>> shift) & 3)
                let high = SIMD8<Int32>(truncatingIfNeeded: (highBytes &>> highShift) & 1)
                // q − (high ? 0 : 4) = q − 4 + 4·high
                let q = low &- 4 &+ (high &<< 2)
                GGMLBlockBits.store8(dl * SIMD8<Float>(q), values, 16 * sub + 8 * part)
            }
        }
    }
}
