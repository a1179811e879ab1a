import MPTCore
import MPTFormats

/// Row segments of ggml block storage as `Float`, block by block with the block format's
/// dequantizer (any type `GGMLQuantizer.supports`), SIMD or its scalar twin.
enum GGMLRows {
    /// Decodes `columns` (block-aligned) of the row whose blocks start at `row`.
    static func decode(
        _ row: UnsafePointer<UInt8>, type: GGMLType, columns: Range<Int>, into destination: UnsafeMutablePointer<Float>,
        kernel: KernelVariant
    ) {
        guard let format = GGMLQuantizer.format(for: type) else { return }
        decode(format, row: UnsafeRawPointer(row), columns: columns, into: destination, kernel: kernel)
    }

    private static func decode<Format: GGMLBlockFormat>(
        _: Format.Type, row: UnsafeRawPointer, columns: Range<Int>, into destination: UnsafeMutablePointer<Float>,
        kernel: KernelVariant
    ) {
        let blockSize = Format.type.blockSize, typeSize = Format.type.typeSize
        var block = columns.lowerBound / blockSize
        var output = destination
        let end = (columns.upperBound + blockSize - 1) / blockSize
        while block < end {
            let input = row + block &* typeSize
            switch kernel {
            case .scalar: Format.dequantizeBlockScalar(input, into: output)
            case .simd: Format.dequantizeBlockSIMD(input, into: output)
            }
            output += blockSize
            block &+= 1
        }
    }
}
