import MPTCore
import MPTFormats

/// Row segments of ggml block storage as `Float`, block by block: Q8_0 and Q4_0 with the level's
/// `VectorKernels`, every other type `GGMLQuantizer.supports` with its block format's SIMD
/// dequantizer; `.scalar` always with the format's scalar twin.
enum GGMLRows {
    /// Decodes `columns` (block-aligned) of the row whose blocks start at `row`.
    static func decode(
        _ row: UnsafePointer<UInt8>, type: GGMLType, columns: Range<Int>, into destination: UnsafeMutablePointer<Float>,
        kernel: KernelVariant, level: KernelLevel
    ) {
        let blockSize = type.blockSize
        let firstBlock = columns.lowerBound / blockSize
        let blocks = (columns.upperBound + blockSize - 1) / blockSize - firstBlock
        let input = UnsafeRawPointer(row) + firstBlock &* type.typeSize
        if kernel == .simd {
            switch type {
            case .q8_0: level.kernels.q8_0ToFloat(input, blocks: blocks, destination); return
            case .q4_0: level.kernels.q4_0ToFloat(input, blocks: blocks, destination); return
            default: break
            }
        }
        guard let format = GGMLQuantizer.format(for: type) else { return }
        decode(format, blocks: input, count: blocks, into: destination, kernel: kernel)
    }

    private static func decode<Format: GGMLBlockFormat>(
        _: Format.Type, blocks: UnsafeRawPointer, count: Int, into destination: UnsafeMutablePointer<Float>,
        kernel: KernelVariant
    ) {
        let blockSize = Format.type.blockSize, typeSize = Format.type.typeSize
        for block in 0..<count {
            let input = blocks + block &* typeSize
            let output = destination + block &* blockSize
            switch kernel {
            case .scalar: Format.dequantizeBlockScalar(input, into: output)
            case .simd: Format.dequantizeBlockSIMD(input, into: output)
            }
        }
    }
}
