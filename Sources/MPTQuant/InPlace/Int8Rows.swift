import MPTCore

/// Row segments of LLM.int8 codes as `Float`: `CB · SCB · (1/127)` evaluated left to right as
/// `BitsAndBytesInt8.dequantize` does (`.simd` with the level's `VectorKernels.int8ToFloat`, the
/// same two roundings per lane).
enum Int8Rows {
    static let reciprocal127 = Float(7.874015718698502e-3)

    /// Decodes `count` codes starting at `codes` with the row's absmax `scale`.
    static func decode(
        _ codes: UnsafePointer<UInt8>, count: Int, scale: Float, into destination: UnsafeMutablePointer<Float>,
        kernel: KernelVariant, level: KernelLevel
    ) {
        if kernel == .simd {
            UnsafeRawPointer(codes).withMemoryRebound(to: Int8.self, capacity: count) { signed in
                level.kernels.int8ToFloat(signed, scale: scale, reciprocal: reciprocal127, destination, count: count)
            }
            return
        }
        for index in 0..<count {
            destination[index] = Float(Int8(bitPattern: codes[index])) * scale * reciprocal127
        }
    }
}
