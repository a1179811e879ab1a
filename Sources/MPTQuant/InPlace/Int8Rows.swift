import MPTCore

/// Row segments of LLM.int8 codes as `Float`: `CB · SCB · (1/127)` evaluated left to right as
/// `BitsAndBytesInt8.dequantize` does (`.simd` in 8-lane vectors with the same two roundings).
enum Int8Rows {
    static let reciprocal127 = Float(7.874015718698502e-3)

    /// Decodes `count` codes starting at `codes` with the row's absmax `scale`.
    static func decode(
        _ codes: UnsafePointer<UInt8>, count: Int, scale: Float, into destination: UnsafeMutablePointer<Float>,
        kernel: KernelVariant
    ) {
        var index = 0
        let raw = UnsafeRawPointer(codes)
        if kernel == .simd {
            let lanesScale = SIMD8<Float>(repeating: scale), lanesReciprocal = SIMD8<Float>(repeating: reciprocal127)
            while index &+ 8 <= count {
                let quants = SIMD8<Int32>(truncatingIfNeeded: raw.loadUnaligned(fromByteOffset: index, as: SIMD8<Int8>.self))
                let values = SIMD8<Float>(quants) * lanesScale * lanesReciprocal
                UnsafeMutableRawPointer(destination + index).storeBytes(of: values, as: SIMD8<Float>.self)
                index &+= 8
            }
        }
        while index < count {
            destination[index] = Float(Int8(bitPattern: codes[index])) * scale * reciprocal127
            index &+= 1
        }
    }
}
