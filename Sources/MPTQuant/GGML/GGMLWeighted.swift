import MPTCore
import MPTFormats

/// A block format with ggml's importance-matrix path (`quantize_<type>` with `quant_weights`,
/// which runs `quantize_row_<type>_impl` row by row): one row of values and one importance per
/// column. The K-quant paths run their scale searches in the kernel copies (`QuantKernels`,
/// compared with the scalar searches by QuantKernelLevelTests); the rest is ggml's plain C order.
protocol GGMLWeightedFormat: GGMLBlockFormat {
    /// Quantizes `count` values (one row, a whole number of blocks) with `importance[0..<count]`.
    static func quantizeRowWeighted(
        _ values: UnsafePointer<Float>, count: Int, importance: UnsafePointer<Float>, into blocks: UnsafeMutableRawPointer)
}

/// A weighted format whose blocks are independent (the K-quants and IQ4 types: each block's
/// weights depend only on that block's values and importance).
protocol GGMLWeightedBlockFormat: GGMLWeightedFormat {
    /// Quantizes one block with the importance of its columns.
    static func quantizeBlockWeighted(
        _ values: UnsafePointer<Float>, importance: UnsafePointer<Float>, into block: UnsafeMutableRawPointer)
}

extension GGMLWeightedBlockFormat {
    static func quantizeRowWeighted(
        _ values: UnsafePointer<Float>, count: Int, importance: UnsafePointer<Float>, into blocks: UnsafeMutableRawPointer
    ) {
        for block in 0..<(count / type.blockSize) {
            quantizeBlockWeighted(
                values + block * type.blockSize, importance: importance + block * type.blockSize,
                into: blocks + block * type.typeSize)
        }
    }
}

/// What the legacy weighted rows (Q4_0, Q4_1, Q5_0, Q5_1) share: `σ² = Σx²/n_per_row` over the
/// whole row, and per block of 32 the weights `qw · sqrt(σ² + x²)`.
enum GGMLRowWeights {
    /// `sum_x2 / n_per_row`, summed in index order.
    static func rowSigma2(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var sumX2: Float = 0
        for j in 0..<count { sumX2 += values[j] * values[j] }
        return sumX2 / Float(count)
    }

    /// `weight[j] = qw[j] * sqrtf(sigma2 + x[j]*x[j])` for `count` values.
    @inline(__always)
    static func fill(
        _ weights: UnsafeMutablePointer<Float>, values: UnsafePointer<Float>, importance: UnsafePointer<Float>,
        sigma2: Float, count: Int
    ) {
        for j in 0..<count { weights[j] = importance[j] * (sigma2 + values[j] * values[j]).squareRoot() }
    }
}

extension GGMLQuantizer {
    /// The format's imatrix path, or nil for a type whose ggml quantizer ignores the importance
    /// (`quantize_q8_0` does).
    static func weightedFormat(for type: GGMLType) -> (any GGMLWeightedFormat.Type)? {
        format(for: type) as? any GGMLWeightedFormat.Type
    }

    /// True when ggml's quantizer for `type` uses an importance matrix (every type here but Q8_0).
    public static func usesImportance(_ type: GGMLType) -> Bool { weightedFormat(for: type) != nil }

    /// Quantizes rows of `rowLength` values with ggml's importance-matrix path, `importance`
    /// holding one value per column (`rowLength` of them), as `ggml_quantize_chunk(type, …,
    /// imatrix)` does. Types that ignore the importance (Q8_0) quantize as without it.
    public static func quantizeRows(
        _ values: UnsafeBufferPointer<Float>, rowLength: Int, as type: GGMLType, importance: UnsafeBufferPointer<Float>,
        into destination: UnsafeMutableRawBufferPointer, threads: Int = 2
    ) throws {
        guard let weighted = weightedFormat(for: type) else {
            return try quantizeRows(values, rowLength: rowLength, as: type, into: destination, threads: threads)
        }
        guard importance.count == rowLength else {
            throw GGMLQuantError.bufferSize(what: "importance of rows of \(rowLength)", expected: rowLength, actual: importance.count)
        }
        try checkRows(values, rowLength: rowLength, as: type, destination: destination)
        guard let source = values.baseAddress, let target = destination.baseAddress, let weights = importance.baseAddress else { return }
        let rowBytes = try byteCount(elementCount: rowLength, as: type)
        let input = SendablePointer(source), output = SendablePointer(raw: target), columns = SendablePointer(weights)
        forEachChunk(count: values.count / rowLength, threads: threads) { rowRange in
            for row in rowRange {
                weighted.quantizeRowWeighted(
                    input.readOnly + row * rowLength, count: rowLength, importance: columns.readOnly,
                    into: output.raw + row * rowBytes)
            }
        }
    }
}
