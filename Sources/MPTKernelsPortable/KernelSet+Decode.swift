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

    /// A plain loop LLVM vectorizes (sign extension, conversion, two multiplies per lane).
    public static func int8ToFloat(
        _ codes: UnsafePointer<Int8>, scale: Float, reciprocal: Float, _ destination: UnsafeMutablePointer<Float>, count: Int
    ) {
        for index in 0..<count {
            destination[index] = Float(codes[index]) * scale * reciprocal
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
        forEachBlock(source, blocks: blocks, bytes: 34, destination) { quants, scale, output in
            let values = quants.assumingMemoryBound(to: Int8.self)
            for index in 0..<32 { output[index] = Float(values[index]) * scale }
        }
    }

    public static func q4_0ToFloat(_ source: UnsafeRawPointer, blocks: Int, _ destination: UnsafeMutablePointer<Float>) {
        forEachBlock(source, blocks: blocks, bytes: 18, destination) { quants, scale, output in
            let nibbles = quants.assumingMemoryBound(to: UInt8.self)
            for index in 0..<16 {
                output[index] = Float(Int32(nibbles[index] & 0x0F) &- 8) * scale
                output[index &+ 16] = Float(Int32(nibbles[index] &>> 4) &- 8) * scale
            }
        }
    }

    /// Runs `body` on each 32-value ggml block of `bytes` bytes (f16 scale first): its quants,
    /// its scale and its 32 output floats.
    @inline(__always)
    static func forEachBlock(
        _ source: UnsafeRawPointer, blocks: Int, bytes: Int, _ destination: UnsafeMutablePointer<Float>,
        _ body: (UnsafeRawPointer, Float, UnsafeMutablePointer<Float>) -> Void
    ) {
        for block in 0..<blocks {
            let input = source + block &* bytes
            body(input + 2, blockScale(input), destination + block &* 32)
        }
    }
}
