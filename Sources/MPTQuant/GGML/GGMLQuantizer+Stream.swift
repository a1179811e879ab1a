import MPTCore
import MPTFormats

extension GGMLQuantizer {
    /// Types `write(_:as:to:)` can produce: the quantized block types plus dense F32, F16, BF16.
    public static func canEncode(_ type: GGMLType) -> Bool {
        supports(type) || type == .f32 || type == .f16 || type == .bf16
    }

    /// Encodes a contiguous float-typed view (any dtype `TensorView.copyFloats` reads) as `type`
    /// and streams the bytes into `sink`, about `chunkElements` values at a time (whole rows of the
    /// innermost dimension), so memory stays bounded. Quantized types use `quantizeRows` on
    /// `threads` threads; F16/BF16 round to nearest even.
    public static func write(
        _ view: TensorView, as type: GGMLType, to sink: inout GGUFTensorSink,
        threads: Int = 2, chunkElements: Int = 1 << 20
    ) throws {
        guard canEncode(type) else { throw GGMLQuantError.unsupportedType(type) }
        guard view.isContiguous else { throw GGMLQuantError.unsupportedView("non-contiguous view of shape \(view.shape)") }
        let total = view.shape.elementCount
        guard total > 0 else { return }
        let rowLength = view.shape.dims.last ?? 1
        guard rowLength % type.blockSize == 0 else { throw GGMLQuantError.partialBlock(type: type, count: rowLength) }
        let rows = total / rowLength
        let matrix = try view.reshaped(Shape(checking: [rows, rowLength]))
        let rowsPerChunk = max(1, chunkElements / rowLength)
        var floats = [Float](repeating: 0, count: min(rows, rowsPerChunk) * rowLength)
        var encoded = [UInt8](repeating: 0, count: try byteCount(elementCount: floats.count, as: type))
        var firstRow = 0
        while firstRow < rows {
            let endRow = min(rows, firstRow + rowsPerChunk)
            let elements = (endRow - firstRow) * rowLength
            let bytes = try byteCount(elementCount: elements, as: type)
            let chunk = try matrix.rows(firstRow..<endRow)
            try floats.withUnsafeMutableBufferPointer { buffer in
                let values = UnsafeMutableBufferPointer(rebasing: buffer[0..<elements])
                try chunk.copyFloats(into: values)
                try encoded.withUnsafeMutableBytes { raw in
                    let target = UnsafeMutableRawBufferPointer(rebasing: raw[0..<bytes])
                    try encode(UnsafeBufferPointer(values), rowLength: rowLength, as: type, into: target, threads: threads)
                    try sink.write(UnsafeRawBufferPointer(target))
                }
            }
            firstRow = endRow
        }
    }

    private static func encode(
        _ values: UnsafeBufferPointer<Float>, rowLength: Int, as type: GGMLType,
        into target: UnsafeMutableRawBufferPointer, threads: Int
    ) throws {
        switch type {
        case .f32:
            target.copyMemory(from: UnsafeRawBufferPointer(values))
        case .f16:
            target.withMemoryRebound(to: UInt16.self) { _ = HalfConversion.convertFloatToF16(values, into: $0) }
        case .bf16:
            target.withMemoryRebound(to: UInt16.self) { HalfConversion.convertFloatToBF16(values, into: $0) }
        default:
            try quantizeRows(values, rowLength: rowLength, as: type, into: target, threads: threads)
        }
    }
}
