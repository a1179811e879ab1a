import MPTCore
import MPTFormats

extension GGMLQuantizer {
    /// Quantizes rows of `rowLength` values (a multiple of the block size) on `threads` threads
    /// (default 2), each taking a contiguous run of rows. Output equals `quantize(_:as:into:)`.
    public static func quantizeRows(
        _ values: UnsafeBufferPointer<Float>, rowLength: Int, as type: GGMLType,
        into destination: UnsafeMutableRawBufferPointer, threads: Int = 2, kernel: KernelVariant = .simd
    ) throws {
        guard let format = format(for: type) else { throw GGMLQuantError.unsupportedType(type) }
        try checkRows(values, rowLength: rowLength, as: type, destination: destination)
        guard let source = values.baseAddress, let target = destination.baseAddress else { return }
        let rows = values.count / rowLength
        let blocksPerRow = rowLength / type.blockSize
        let input = SendablePointer(source), output = SendablePointer(raw: target)
        forEachChunk(count: rows, threads: threads) { rowRange in
            quantizeBlocks(
                format, source: input.readOnly, target: output.raw,
                blocks: (rowRange.lowerBound * blocksPerRow)..<(rowRange.upperBound * blocksPerRow), kernel: kernel)
        }
    }

    /// Throws unless `values` is whole rows of `rowLength` (a multiple of the block size) and
    /// `destination` exactly their quantized size.
    static func checkRows(
        _ values: UnsafeBufferPointer<Float>, rowLength: Int, as type: GGMLType, destination: UnsafeMutableRawBufferPointer
    ) throws {
        guard rowLength > 0, rowLength % type.blockSize == 0 else {
            throw GGMLQuantError.partialBlock(type: type, count: rowLength)
        }
        guard values.count % rowLength == 0 else {
            throw GGMLQuantError.bufferSize(what: "rows of \(rowLength)", expected: values.count / rowLength * rowLength, actual: values.count)
        }
        let expected = try byteCount(elementCount: values.count, as: type)
        guard destination.count == expected else {
            throw GGMLQuantError.bufferSize(what: "\(type) destination", expected: expected, actual: destination.count)
        }
    }
}
