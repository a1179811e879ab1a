import MPTCore
import MPTGraph

/// Decodes a weight into float32 for quantization, rounded to the compute dtype first (as
/// transformers quantizes a weight loaded in that dtype), counting NaN/Inf on the way. A dense
/// 2-D source is decoded on several threads, each over its own rows in cache-sized pieces, so
/// decoding, rounding and counting touch each value once while it is in the core's cache.
enum WeightDecoding {
    /// The decoded values and how many of them are NaN or ±inf.
    struct Decoded {
        var values: [Float]
        var nonFinite: Int
    }

    /// Values decoded per piece.
    static let pieceElements = 1 << 14

    static func decode(_ source: TensorSource, roundedTo dtype: DType, threads: Int) throws -> Decoded {
        guard let view = rowDecodable(source), let rows = view.shape.dims.first else {
            let values = DTypeCast.rounded(try Dequantizer.floats(source), to: dtype)
            return Decoded(values: values, nonFinite: values.withUnsafeBufferPointer { DTypeCast.countNonFinite($0) })
        }
        let count = view.shape.elementCount
        var nonFinite = 0
        let values = try [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            // Float needs no cleanup: if a worker fails, the error propagates and the array is dropped.
            initialized = count
            nonFinite = try decodeRows(view, rows: 0..<rows, roundedTo: dtype, into: UnsafeMutableBufferPointer(rebasing: buffer[0..<count]), threads: threads)
        }
        return Decoded(values: values, nonFinite: nonFinite)
    }

    /// Whether `source` is a dense, contiguous, non-empty matrix, which `decodeRows` can read
    /// piece by piece.
    static func rowDecodable(_ source: TensorSource) -> TensorView? {
        guard case let .dense(view) = source, view.isContiguous, view.shape.rank == 2,
              let rows = view.shape.dims.first, rows > 0, view.shape.elementCount > 0 else { return nil }
        return view
    }

    /// Decodes rows `rows` of the matrix `view` into `destination` (exactly their values), rounded
    /// to `dtype` as `decode` rounds them, on `threads` workers, then releases those rows' cached
    /// pages. Returns how many values are NaN or ±inf.
    static func decodeRows(
        _ view: TensorView, rows: Range<Int>, roundedTo dtype: DType, into destination: UnsafeMutableBufferPointer<Float>, threads: Int
    ) throws -> Int {
        let piece = try view.rows(rows)
        guard let base = destination.baseAddress, !rows.isEmpty, destination.count == piece.shape.elementCount else {
            throw CoreError.unsupported("decoding \(rows.count) rows into \(destination.count) values")
        }
        let job = DecodingJob(view: piece, rowLength: piece.shape.elementCount / rows.count,
                              rounding: roundingStep(from: view.dtype, to: dtype), destination: SendablePointer(base))
        let nonFinite = try mapChunks(count: rows.count, threads: threads) { try job.run(rows: $0) }.reduce(0, +)
        piece.storage.dropCachedPages(offset: piece.byteOffset, length: piece.byteCount)
        return nonFinite
    }

    /// The 16-bit rounding applied after decoding, if any: rounding a bf16 source to bf16 (or f16
    /// to f16) changes nothing and is skipped.
    private static func roundingStep(from source: DType, to dtype: DType) -> DType? {
        (dtype == .f16 || dtype == .bf16) && source != dtype ? dtype : nil
    }
}

/// One weight's decoding, shared by the workers; each writes only its own rows of `destination`.
private struct DecodingJob: Sendable {
    let view: TensorView
    let rowLength: Int
    let rounding: DType?
    let destination: SendablePointer<Float>

    /// Decodes `rows`, rounds and counts NaN/Inf, piece by piece; returns the count.
    func run(rows: Range<Int>) throws -> Int {
        let rowsPerPiece = max(1, WeightDecoding.pieceElements / max(rowLength, 1))
        var scratch = [UInt16](repeating: 0, count: rounding == nil ? 0 : rowsPerPiece * rowLength)
        var nonFinite = 0
        var first = rows.lowerBound
        while first < rows.upperBound {
            let end = min(rows.upperBound, first + rowsPerPiece)
            let piece = destination.buffer(from: first * rowLength, count: (end - first) * rowLength)
            try view.rows(first..<end).copyFloats(into: piece)
            if let rounding {
                scratch.withUnsafeMutableBufferPointer { DTypeCast.roundInPlace(piece, to: rounding, scratch: $0) }
            }
            nonFinite += DTypeCast.countNonFinite(UnsafeBufferPointer(piece))
            first = end
        }
        return nonFinite
    }
}
