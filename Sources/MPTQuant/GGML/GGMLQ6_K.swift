import MPTCore
import MPTFormats

/// ggml `Q6_K`: super-blocks of 256 values stored as `{ u8 ql[128]; u8 qh[64]; i8 scales[16];
/// f16 d }` (210 bytes; `d` last). Sixteen groups of 16 each get a scale from `make_qx_quants`
/// (nmax 32, `rmse_type` 1); the scales are quantized to int8 against `d = max_scale / −128`
/// (the signed scale of largest magnitude), and the levels `q = clamp(nearest_int(x / (d·sc)),
/// −32, 31) + 32` are split: in each half `c` of 128 values, `ql[64c + l]` holds the low four
/// bits of elements `128c + l` (low nibble) and `128c + 64 + l` (high nibble), `ql[64c + 32 + l]`
/// those of `128c + 32 + l` and `128c + 96 + l`, and `qh[32c + l]` the top two bits of the four,
/// in bit pairs 0, 2, 4, 6. Dequantize: `d · sc · (q − 32)`. A super-block whose scales are all
/// below 1e-15 is all zero bytes. Byte-identical to `quantize_row_q6_K_ref`.
enum GGMLQ6_K: GGMLBlockFormat {
    static let type = GGMLType.q6_K
    static let blockSize = 256
    static let groups = 16
    static let groupSize = 16

    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        withUnsafeTemporaryAllocation(of: Int8.self, capacity: blockSize) { levels in
            guard let levels = levels.baseAddress else { return }
            var scales = SIMD16<Float>(repeating: 0)
            for group in 0..<groups {
                scales[group] = GGMLKQuantSearch.symmetricScale(
                    values + groupSize * group, count: groupSize, maxLevel: 32, levels: levels + groupSize * group)
            }
            finish(values, scales: scales, levels: levels, into: block, simd: false)
        }
    }

    /// The sixteen groups' scale searches run side by side in the active `KernelLevel`'s
    /// `symmetricScales`; blocks holding NaN or ±inf take the scalar twin.
    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer) {
        guard GGMLLowBit.allFinite(values, count: blockSize) else { return quantizeBlockScalar(values, into: block) }
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: blockSize) { levels in
            withUnsafeTemporaryAllocation(of: Float.self, capacity: groups) { found in
                guard let levels = levels.baseAddress, let found = found.baseAddress else { return }
                KernelLevel.quantKernels.symmetricScales(values, weights: nil, maxLevel: 32, scales: found, levels: levels)
                let scales = UnsafeRawPointer(found).loadUnaligned(as: SIMD16<Float>.self)
                UnsafeMutableRawPointer(levels).withMemoryRebound(to: Int8.self, capacity: blockSize) { signed in
                    finish(values, scales: scales, levels: signed, into: block, simd: true)
                }
            }
        }
    }

    /// The int8 scales, `d`, the final levels and the packing (shared by both kernels; `simd`
    /// picks the vectorized final-level loop).
    @inline(__always)
    static func finish(
        _ values: UnsafePointer<Float>, scales: SIMD16<Float>, levels: UnsafeMutablePointer<Int8>,
        into block: UnsafeMutableRawPointer, simd: Bool
    ) {
        var maxScale: Float = 0, maxAbsScale: Float = 0
        for group in 0..<groups {
            let magnitude = abs(scales[group])
            if magnitude > maxAbsScale {
                maxAbsScale = magnitude
                maxScale = scales[group]
            }
        }
        if maxAbsScale < GGMLKQuantSearch.groupMaxEpsilon {
            block.initializeMemory(as: UInt8.self, repeating: 0, count: type.typeSize)
            GGMLBlockBits.storeHalf(0, to: block, at: 208)
            return
        }
        let inverseScale = -128 / maxScale
        GGMLBlockBits.storeHalf(1 / inverseScale, to: block, at: 208)
        let groupScales = (block + 192).assumingMemoryBound(to: Int8.self)
        for group in 0..<groups {
            groupScales[group] = Int8(truncatingIfNeeded: min(127, GGMLBlockBits.nearestInt(inverseScale * scales[group])))
        }
        let superScale = GGMLBlockBits.loadHalf(from: block, at: 208)
        for group in 0..<groups {
            let scale = superScale * Float(groupScales[group])
            if scale == 0 { continue }
            let x = values + groupSize * group
            let out = levels + groupSize * group
            if simd {
                for part in 0..<(groupSize / 8) {
                    let level = GGMLKQuantSearch.clamp(GGMLBlockBits.nearestInt(GGMLBlockBits.load8(x, 8 * part) / scale), -32, 31)
                    (UnsafeMutableRawPointer(out) + 8 * part).storeBytes(of: SIMD8<Int8>(truncatingIfNeeded: level &+ 32), as: SIMD8<Int8>.self)
                }
            } else {
                for i in 0..<groupSize {
                    let level = GGMLKQuantSearch.clamp(GGMLBlockBits.nearestInt(x[i] / scale), -32, 31)
                    out[i] = Int8(truncatingIfNeeded: level + 32)
                }
            }
        }
        pack(UnsafeRawPointer(levels).assumingMemoryBound(to: UInt8.self), into: block)
    }

    @inline(__always)
    private static func pack(_ levels: UnsafePointer<UInt8>, into block: UnsafeMutableRawPointer) {
        let bytes = block.assumingMemoryBound(to: UInt8.self)
        for half in 0..<2 {
            let base = 128 * half
            let low = bytes + 64 * half, high = bytes + 128 + 32 * half
            for l in 0..<32 {
                let q1 = levels[base + l], q2 = levels[base + l + 32], q3 = levels[base + l + 64], q4 = levels[base + l + 96]
                low[l] = (q1 & 0x0F) | ((q3 & 0x0F) &<< 4)
                low[l + 32] = (q2 & 0x0F) | ((q4 & 0x0F) &<< 4)
                high[l] = (q1 >> 4) | ((q2 >> 4) &<< 2) | ((q3 >> 4) &<< 4) | ((q4 >> 4) &<< 6)
            }
        }
    }

    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLBlockBits.loadHalf(from: block, at: 208)
        for half in 0..<2 {
            for l in 0..<32 {
                let low1 = block.load(fromByteOffset: 64 * half + l, as: UInt8.self)
                let low2 = block.load(fromByteOffset: 64 * half + l + 32, as: UInt8.self)
                let high = block.load(fromByteOffset: 128 + 32 * half + l, as: UInt8.self)
                let q1 = Int32((low1 & 0x0F) | ((high & 3) << 4)) - 32
                let q2 = Int32((low2 & 0x0F) | (((high >> 2) & 3) << 4)) - 32
                let q3 = Int32((low1 >> 4) | (((high >> 4) & 3) << 4)) - 32
                let q4 = Int32((low2 >> 4) | (((high >> 6) & 3) << 4)) - 32
                let scale = 192 + 8 * half + l / 16
                let base = 128 * half + l
                values[base] = d * Float(block.load(fromByteOffset: scale, as: Int8.self)) * Float(q1)
                values[base + 32] = d * Float(block.load(fromByteOffset: scale + 2, as: Int8.self)) * Float(q2)
                values[base + 64] = d * Float(block.load(fromByteOffset: scale + 4, as: Int8.self)) * Float(q3)
                values[base + 96] = d * Float(block.load(fromByteOffset: scale + 6, as: Int8.self)) * Float(q4)
            }
        }
    }

    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>) {
        let d = GGMLBlockBits.loadHalf(from: block, at: 208)
        let thirtyTwo = SIMD8<Int32>(repeating: 32)
        for half in 0..<2 {
            for part in 0..<4 {
                let l = 8 * part
                let low1 = SIMD8<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 64 * half + l, as: SIMD8<UInt8>.self))
                let low2 = SIMD8<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 64 * half + l + 32, as: SIMD8<UInt8>.self))
                let high = SIMD8<Int32>(truncatingIfNeeded: block.loadUnaligned(fromByteOffset: 128 + 32 * half + l, as: SIMD8<UInt8>.self))
                let q1 = ((low1 & 0x0F) | ((high & 3) &<< 4)) &- thirtyTwo
                let q2 = ((low2 & 0x0F) | (((high &>> 2) & 3) &<< 4)) &- thirtyTwo
                let q3 = ((low1 &>> 4) | (((high &>> 4) & 3) &<< 4)) &- thirtyTwo
                let q4 = ((low2 &>> 4) | (((high &>> 6) & 3) &<< 4)) &- thirtyTwo
                let scale = 192 + 8 * half + l / 16
                let base = 128 * half + l
                GGMLBlockBits.store8(d * Float(block.load(fromByteOffset: scale, as: Int8.self)) * SIMD8<Float>(q1), values, base)
                GGMLBlockBits.store8(d * Float(block.load(fromByteOffset: scale + 2, as: Int8.self)) * SIMD8<Float>(q2), values, base + 32)
                GGMLBlockBits.store8(d * Float(block.load(fromByteOffset: scale + 4, as: Int8.self)) * SIMD8<Float>(q3), values, base + 64)
                GGMLBlockBits.store8(d * Float(block.load(fromByteOffset: scale + 6, as: Int8.self)) * SIMD8<Float>(q4), values, base + 96)
            }
        }
    }
}
