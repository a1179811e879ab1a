/// Stored weight encodings → `Float`, bit for bit what the scalar decoders give.
extension KernelSet {
    public static func bf16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        for index in 0..<count {
            destination[index] = Float(bitPattern: UInt32(source[index]) &<< 16)
        }
    }

    /// A branch-free integer loop (LLVM vectorizes it at every level; no F16C needed).
    public static func f16ToFloat(_ source: UnsafePointer<UInt16>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
        let shiftedExponent: UInt32 = 0x7C00 << 13
        let magic = Float(bitPattern: 113 << 23)
        for index in 0..<count {
            let half = UInt32(source[index])
            let unbiased = (half & 0x7FFF) &<< 13
            let exponent = unbiased & shiftedExponent
            let rebiased = unbiased &+ ((127 - 15) << 23)
            let normal = exponent == shiftedExponent ? rebiased &+ ((128 - 16) << 23) : rebiased
            let renormalized = (Float(bitPattern: rebiased &+ (1 << 23)) - magic).bitPattern
            let magnitude = exponent == 0 ? renormalized : normal
            destination[index] = Float(bitPattern: magnitude | ((half & 0x8000) &<< 16))
        }
    }

    public static func int8ToFloat(
        _ codes: UnsafePointer<Int8>, scale: Float, reciprocal: Float, _ destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        let lanes = Vector.scalarCount
        let scaleLanes = Vector(repeating: scale), reciprocalLanes = Vector(repeating: reciprocal)
        let raw = UnsafeRawPointer(codes)
        var index = 0
        while index &+ lanes <= count {
            let quants = IntVector(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: index, as: ByteVector.self))
            store(Vector(quants) * scaleLanes * reciprocalLanes, destination + index)
            index &+= lanes
        }
        while index < count {
            destination[index] = Float(codes[index]) * scale * reciprocal
            index &+= 1
        }
    }

    /// The little-endian f16 scale at the start of a ggml block.
    @inline(__always)
    static func blockScale(_ block: UnsafeRawPointer) -> Float {
        var half = UInt16(littleEndian: block.loadUnaligned(as: UInt16.self))
        var scale: Float = 0
        f16ToFloat(&half, &scale, count: 1)
        return scale
    }

    public static func q8_0ToFloat(_ source: UnsafeRawPointer, blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        for block in 0..<blocks {
            let input = source + block &* 34
            let output = destination + block &* 32
            let scale = blockScale(input)
            for part in 0..<4 {
                let quants = input.loadUnaligned(fromByteOffset: 2 &+ 8 &* part, as: SIMD8<Int8>.self)
                let values = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: quants)) * scale
                UnsafeMutableRawPointer(output + 8 &* part).storeBytes(of: values, as: SIMD8<Float>.self)
            }
        }
    }

    public static func q4_0ToFloat(_ source: UnsafeRawPointer, blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        let eight = SIMD8<Int32>(repeating: 8)
        for block in 0..<blocks {
            let input = source + block &* 18
            let output = destination + block &* 32
            let scale = blockScale(input)
            for part in 0..<2 {
                let bytes = input.loadUnaligned(fromByteOffset: 2 &+ 8 &* part, as: SIMD8<UInt8>.self)
                let low = SIMD8<Int32>(truncatingIfNeeded: bytes & 0x0F) &- eight
                let high = SIMD8<Int32>(truncatingIfNeeded: bytes &>> 4) &- eight
                let lowValues: SIMD8<Float> = SIMD8<Float>(low) * scale
                let highValues: SIMD8<Float> = SIMD8<Float>(high) * scale
                UnsafeMutableRawPointer(output + 8 &* part).storeBytes(of: lowValues, as: SIMD8<Float>.self)
                UnsafeMutableRawPointer(output + (16 &+ 8 &* part)).storeBytes(of: highValues, as: SIMD8<Float>.self)
            }
        }
    }
}
