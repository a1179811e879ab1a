import MPTCore

/// Row segments of dense f16 / bf16 / unaligned f32 storage as `Float`, with the conversions of
/// `TensorView.floats()`: `.simd` with the level's `VectorKernels` (aligned 16-bit elements),
/// `.scalar` with the per-element twins.
enum DenseRows {
    /// Decodes `count` elements from element index `first` of `bytes` (little-endian `dtype`).
    static func decode(
        _ bytes: UnsafePointer<UInt8>, dtype: DType, first: Int, count: Int, into destination: UnsafeMutablePointer<Float>,
        kernel: KernelVariant, level: KernelLevel
    ) {
        let raw = UnsafeRawPointer(bytes)
        switch dtype {
        case .f16, .bf16:
            let start = raw + first &* 2
            if kernel == .simd, Int(bitPattern: start) % 2 == 0 {
                let halves = start.assumingMemoryBound(to: UInt16.self)
                if dtype == .f16 {
                    level.kernels.f16ToFloat(halves, destination, count: count)
                } else {
                    level.kernels.bf16ToFloat(halves, destination, count: count)
                }
            } else {
                for index in 0..<count {
                    let bits = UInt16(littleEndian: start.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))
                    destination[index] = dtype == .f16 ? HalfConversion.floatFromF16Scalar(bits) : HalfConversion.floatFromBF16Scalar(bits)
                }
            }
        default:  // f32 (only unaligned f32 reaches here; other dtypes are decoded when the matrix is made)
            let start = raw + first &* 4
            for index in 0..<count {
                destination[index] = Float(bitPattern: UInt32(littleEndian: start.loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)))
            }
        }
    }
}
