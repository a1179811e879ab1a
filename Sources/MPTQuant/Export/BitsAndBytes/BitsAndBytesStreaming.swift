import MPTCore
import MPTGraph

/// NF4 and LLM.int8 quantization of a dense matrix read piece by piece: each piece of whole rows
/// is decoded into one reused float32 buffer (rounded to the compute dtype, NaN/Inf counted),
/// quantized into its place in the output and its source pages released. Peak memory is then the
/// quantized output plus one piece, never the whole weight in float32 (an MPT-30B `up_proj` is
/// 822 MB as float32). The bytes equal those of quantizing the whole decoded weight at once.
enum BitsAndBytesStreaming {
    /// Values decoded per piece by default (16 MiB of float32).
    static let defaultPieceElements = 1 << 22

    /// The matrix `view` quantized to NF4 with `options` (its `sourceDType` is the compute dtype
    /// the values are rounded to first).
    static func nf4(
        _ view: TensorView, name: String, options: NF4Options, allowNonfinite: Bool, pieceElements: Int = defaultPieceElements
    ) throws -> NF4QuantizedTensor {
        let blocksize = options.blocksize
        guard BitsAndBytesNF4.allowedBlocksizes.contains(blocksize) else { throw BitsAndBytesError.invalidBlocksize(blocksize) }
        let count = view.shape.elementCount
        var packed = [UInt8](repeating: 0, count: (count + 1) / 2)
        var absmax = [Float](repeating: 0, count: (count + blocksize - 1) / blocksize)
        // A piece must start on a block boundary: whole rows, a multiple of this many.
        let rowLength = count / max(view.shape.dims.first ?? 1, 1)
        let rowAlignment = blocksize / greatestCommonDivisor(rowLength, blocksize)
        try forEachPiece(view, name: name, dtype: options.sourceDType, rowAlignment: rowAlignment,
                         pieceElements: pieceElements, threads: options.threadCount, allowNonfinite: allowNonfinite) { rows, values in
            try BitsAndBytesNF4.encode(values, startingAt: rows.lowerBound * rowLength, packed: &packed, absmax: &absmax, options: options)
        }
        return BitsAndBytesNF4.assemble(shape: view.shape.dims, packed: packed, absmax: absmax, options: options)
    }

    /// The matrix `view` quantized row-wise to LLM.int8, its values rounded to `dtype` first.
    static func int8(
        _ view: TensorView, name: String, dtype: DType, threads: Int, allowNonfinite: Bool, pieceElements: Int = defaultPieceElements
    ) throws -> Int8RowwiseTensor {
        let rows = view.shape.dims.first ?? 0
        let columns = view.shape.elementCount / max(rows, 1)
        var codes = [Int8](repeating: 0, count: view.shape.elementCount)
        var rowAbsmax = [Float](repeating: 0, count: rows)
        try forEachPiece(view, name: name, dtype: dtype, rowAlignment: 1, pieceElements: pieceElements,
                         threads: threads, allowNonfinite: allowNonfinite) { range, values in
            try BitsAndBytesInt8.quantizeRows(values, firstRow: range.lowerBound, columns: columns, roundThroughFloat16: true,
                                          codes: &codes, rowAbsmax: &rowAbsmax, threadCount: threads)
        }
        return Int8RowwiseTensor(rows: rows, columns: columns, codes: codes, rowAbsmax: rowAbsmax)
    }

    /// Decodes `view` in pieces of whole rows (a multiple of `rowAlignment`, about `pieceElements`
    /// values) and hands each piece's row range and values to `body`. Once a NaN/Inf is found
    /// (unless allowed) the rest is only counted, and the total is thrown as the tensor's error.
    private static func forEachPiece(
        _ view: TensorView, name: String, dtype: DType, rowAlignment: Int, pieceElements: Int, threads: Int,
        allowNonfinite: Bool, _ body: (Range<Int>, UnsafeBufferPointer<Float>) throws -> Void
    ) throws {
        let rows = view.shape.dims.first ?? 0
        let rowLength = view.shape.elementCount / max(rows, 1)
        let rowsPerPiece = max(rowAlignment, max(pieceElements / max(rowLength, 1), 1) / rowAlignment * rowAlignment)
        var buffer = [Float](repeating: 0, count: min(rows, rowsPerPiece) * rowLength)
        var nonFinite = 0
        var first = 0
        while first < rows {
            let range = first..<min(rows, first + rowsPerPiece)
            try buffer.withUnsafeMutableBufferPointer { whole in
                let piece = UnsafeMutableBufferPointer(rebasing: whole[0..<(range.count * rowLength)])
                nonFinite += try WeightDecoding.decodeRows(view, rows: range, roundedTo: dtype, into: piece, threads: threads)
                if allowNonfinite || nonFinite == 0 { try body(range, UnsafeBufferPointer(piece)) }
            }
            first = range.upperBound
        }
        if !allowNonfinite, nonFinite > 0 { throw ConversionError.nonFinite(tensor: name, count: nonFinite) }
    }

    private static func greatestCommonDivisor(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return max(x, 1)
    }
}
