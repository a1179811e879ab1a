import MPTCore

/// A matrix quantized with LLM.int8's row-wise absmax scheme, as bitsandbytes' `Linear8bitLt` stores it.
public struct Int8RowwiseTensor: Sendable, Hashable {
    /// Rows (output features).
    public var rows: Int
    /// Columns (input features).
    public var columns: Int
    /// `CB`: `round(x * ((1 / SCB[row]) * 127))`, row-major, stored as the module's `weight` (int8).
    public var codes: [Int8]
    /// `SCB`: per-row absmax, float32.
    public var rowAbsmax: [Float]

    /// Builds a tensor from its parts.
    public init(rows: Int, columns: Int, codes: [Int8], rowAbsmax: [Float]) {
        self.rows = rows
        self.columns = columns
        self.codes = codes
        self.rowAbsmax = rowAbsmax
    }
}

/// LLM.int8 weight quantization, byte-identical to bitsandbytes 0.50 `Int8Params` on CPU
/// (`int8_vectorwise_quant` with threshold 0, so no outlier columns are held back).
public enum BitsAndBytesInt8 {
    /// Quantizes a row-major `rows × columns` matrix.
    ///
    /// `Int8Params._quantize` first converts the weight to float16; with `roundThroughFloat16`
    /// (the default) the values are rounded to float16 the same way. Then per row
    /// `SCB = max|x|`, `CB = roundHalfEven(x * ((1 / SCB) * 127))` in float32
    /// (torch evaluates `127.0 / SCB` as `SCB.reciprocal() * 127`). An all-zero row gives
    /// `SCB = 0` and `CB = 0` (bitsandbytes computes NaN there, which PyTorch converts to 0 on x86).
    public static func quantize(
        _ values: [Float], rows: Int, columns: Int, roundThroughFloat16: Bool = true, threadCount: Int = 2
    ) throws -> Int8RowwiseTensor {
        let count = try Checked.multiply(rows, columns, "int8 matrix size")
        guard rows >= 0, columns >= 0, values.count == count else {
            throw BitsAndBytesError.elementCountMismatch(expected: count, actual: values.count)
        }
        var codes = [Int8](repeating: 0, count: count)
        var scales = [Float](repeating: 0, count: rows)
        try values.withUnsafeBufferPointer { source in
            try quantizeRows(source, firstRow: 0, columns: columns, roundThroughFloat16: roundThroughFloat16,
                         codes: &codes, rowAbsmax: &scales, threadCount: threadCount)
        }
        return Int8RowwiseTensor(rows: rows, columns: columns, codes: codes, rowAbsmax: scales)
    }

    /// Quantizes whole rows `piece` (row `firstRow` on, `columns` values each) into the matching
    /// entries of `codes` and `rowAbsmax`, as `quantize` does them; rows are independent, so a
    /// matrix quantized piece by piece gets the same bytes.
    static func quantizeRows(
        _ piece: UnsafeBufferPointer<Float>, firstRow: Int, columns: Int, roundThroughFloat16: Bool,
        codes: inout [Int8], rowAbsmax: inout [Float], threadCount: Int
    ) throws {
        guard columns > 0 else { return }
        let rows = piece.count / columns
        guard piece.count % columns == 0, firstRow >= 0, firstRow + rows <= rowAbsmax.count, (firstRow + rows) * columns <= codes.count else {
            throw BitsAndBytesError.elementCountMismatch(expected: (rowAbsmax.count - firstRow) * columns, actual: piece.count)
        }
        codes.withUnsafeMutableBufferPointer { codeBuffer in
            rowAbsmax.withUnsafeMutableBufferPointer { scaleBuffer in
                guard let sourceBase = piece.baseAddress, let codeBase = codeBuffer.baseAddress,
                      let scaleBase = scaleBuffer.baseAddress else { return }
                let input = SendablePointer(sourceBase)
                let output = SendablePointer(codeBase + firstRow * columns)
                let rowScales = SendablePointer(scaleBase + firstRow)
                forEachChunk(count: rows, threads: threadCount) { rowRange in
                    var row = [Float](repeating: 0, count: columns)
                    for rowIndex in rowRange {
                        let start = rowIndex * columns
                        let rowSource = UnsafeBufferPointer(start: input.readOnly + start, count: columns)
                        row.withUnsafeMutableBufferPointer { rowBuffer in
                            if roundThroughFloat16 {
                                // Scalar Float16 conversions measured faster here than the bulk SIMD ones.
                                for column in 0..<columns { rowBuffer[column] = Float(Float16(rowSource[column])) }
                            } else {
                                _ = rowBuffer.initialize(from: rowSource)
                            }
                            guard let rowBase = UnsafePointer(rowBuffer.baseAddress) else { return }
                            let largest = NF4Kernels.absmaxSIMD(rowBase, count: columns)
                            rowScales.base[rowIndex] = largest
                            quantizeRow(rowBase, count: columns, largest: largest, into: output.base + start)
                        }
                    }
                }
            }
        }
    }

    /// One row: `roundHalfEven(x * ((1 / largest) * 127))`, SIMD for finite nonzero scales.
    static func quantizeRow(_ row: UnsafePointer<Float>, count: Int, largest: Float, into output: UnsafeMutablePointer<Int8>) {
        // torch evaluates `127.0 / tensor` as `tensor.reciprocal() * 127`.
        let scale = (1 / largest) * 127
        var index = 0
        if scale.isFinite, largest.isFinite {
            let raw = UnsafeRawPointer(row)
            while index + 8 <= count {
                // |scaled| <= 127.5, so adding 1.5 * 2^23 rounds to an integer half-to-even and leaves
                // it in the low mantissa bits.
                let scaled = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Float>.self) * scale
                let shifted = scaled + SIMD8<Float>(repeating: 12_582_912)
                let integers = unsafeBitCast(shifted, to: SIMD8<Int32>.self) &- 0x4B40_0000
                UnsafeMutableRawPointer(output + index).storeBytes(
                    of: SIMD8<Int8>(truncatingIfNeeded: integers), as: SIMD8<Int8>.self)
                index += 8
            }
        }
        while index < count {
            output[index] = int8Saturating((row[index] * scale).rounded(.toNearestOrEven))
            index += 1
        }
    }

    /// `CB * SCB * (1/127)` in float32, as `int8_vectorwise_dequant` computes it.
    public static func dequantize(_ tensor: Int8RowwiseTensor) -> [Float] {
        let reciprocal127 = Float(7.874015718698502e-3)
        var result = [Float](repeating: 0, count: tensor.codes.count)
        guard tensor.columns > 0 else { return result }
        for index in tensor.codes.indices {
            let row = index / tensor.columns
            let scale = row < tensor.rowAbsmax.count ? tensor.rowAbsmax[row] : 0
            result[index] = Float(tensor.codes[index]) * scale * reciprocal127
        }
        return result
    }

    /// x86 float → int8 as PyTorch does it: NaN (and anything out of int32 range) becomes 0,
    /// values in range keep their low 8 bits.
    @inline(__always)
    static func int8Saturating(_ value: Float) -> Int8 {
        guard value.isFinite, value >= -2_147_483_648, value < 2_147_483_648 else { return 0 }
        return Int8(truncatingIfNeeded: Int32(value))
    }
}
