import MPTCore
import MPTFormats

extension GGMLQuantizer {
    /// Types `write(_:as:to:)` can produce: the quantized block types plus dense F32, F16, BF16.
    public static func canEncode(_ type: GGMLType) -> Bool {
        supports(type) || type == .f32 || type == .f16 || type == .bf16
    }

    /// What `write(_:as:to:)` saw in the values it encoded.
    public struct ValueCounts: Sendable, Equatable {
        /// NaN and ±inf values.
        public var nonFinite = 0
        /// Finite values that round to ±inf in F16 (counted only when writing F16).
        public var halfOverflow = 0
    }

    /// Encodes a contiguous float-typed view (any dtype `TensorView.copyFloats` reads) as `type`
    /// and streams the bytes into `sink`, about `chunkElements` values at a time (whole rows of the
    /// innermost dimension), so memory stays bounded. Each chunk is split into row runs over
    /// `threads` threads that decode, count non-finite values and encode their rows; the caller
    /// decides what the counts mean. Quantized types use the block kernels; F16/BF16 round to
    /// nearest even. With `importance` (one value per column of the innermost dimension), the
    /// quantized types run ggml's imatrix paths (`GGMLQuantizer.quantizeRows(…importance:…)`).
    @discardableResult
    public static func write(
        _ view: TensorView, as type: GGMLType, to sink: inout GGUFTensorSink,
        threads: Int = 2, chunkElements: Int = 1 << 22, importance: [Float]? = nil
    ) throws -> ValueCounts {
        guard canEncode(type) else { throw GGMLQuantError.unsupportedType(type) }
        guard view.isContiguous else { throw GGMLQuantError.unsupportedView("non-contiguous view of shape \(view.shape)") }
        let total = view.shape.elementCount
        guard total > 0 else { return ValueCounts() }
        let rowLength = view.shape.dims.last ?? 1
        guard rowLength % type.blockSize == 0 else { throw GGMLQuantError.partialBlock(type: type, count: rowLength) }
        if let importance, importance.count != rowLength {
            throw GGMLQuantError.bufferSize(what: "importance of rows of \(rowLength)", expected: rowLength, actual: importance.count)
        }
        let rows = total / rowLength
        let matrix = try view.reshaped(Shape(checking: [rows, rowLength]))
        let rowsPerChunk = max(1, chunkElements / rowLength)
        var floats = [Float](repeating: 0, count: min(rows, rowsPerChunk) * rowLength)
        var encoded = [UInt8](repeating: 0, count: try byteCount(elementCount: floats.count, as: type))
        var counts = ValueCounts()
        var firstRow = 0
        while firstRow < rows {
            let endRow = min(rows, firstRow + rowsPerChunk)
            let elements = (endRow - firstRow) * rowLength
            let bytes = try byteCount(elementCount: elements, as: type)
            let chunk = try matrix.rows(firstRow..<endRow)
            try floats.withUnsafeMutableBufferPointer { buffer in
                try encoded.withUnsafeMutableBytes { raw in
                    let values = UnsafeMutableBufferPointer(rebasing: buffer[0..<elements])
                    let target = UnsafeMutableRawBufferPointer(rebasing: raw[0..<bytes])
                    let chunkCounts = try encodeRows(
                        chunk, rowLength: rowLength, as: type, importance: importance, staging: values, into: target, threads: threads)
                    counts.nonFinite += chunkCounts.nonFinite
                    counts.halfOverflow += chunkCounts.halfOverflow
                    try sink.write(UnsafeRawBufferPointer(target))
                }
            }
            firstRow = endRow
        }
        return counts
    }

    /// Decodes, counts and encodes the rows of `chunk` on up to `threads` threads, each run of
    /// rows on one thread (disjoint ranges of `staging` and `target`).
    private static func encodeRows(
        _ chunk: TensorView, rowLength: Int, as type: GGMLType, importance: [Float]?, staging: UnsafeMutableBufferPointer<Float>,
        into target: UnsafeMutableRawBufferPointer, threads: Int
    ) throws -> ValueCounts {
        let rows = chunk.shape.elementCount / rowLength
        let rowBytes = try byteCount(elementCount: rowLength, as: type)
        guard rows > 0, let stagingBase = staging.baseAddress, let targetBase = target.baseAddress else { return ValueCounts() }
        let job = RowEncodingJob(
            chunk: chunk, rowLength: rowLength, rowBytes: rowBytes, type: type, importance: importance,
            staging: SendablePointer(stagingBase), target: SendablePointer(raw: targetBase))
        // Eight row runs per worker, taken as workers free up: on a shared machine a preempted
        // worker no longer holds the other at the end of every chunk.
        return try mapChunks(count: rows, threads: threads, chunksPerWorker: 8) { try job.run(rows: $0) }
            .reduce(into: ValueCounts()) { total, counts in
                total.nonFinite += counts.nonFinite
                total.halfOverflow += counts.halfOverflow
            }
    }

    /// Finite values that round to ±inf in binary16 (magnitude ≥ 65520), counted with arithmetic
    /// only so LLVM vectorizes the loop (compare forms compiled to a scalar branch per element).
    @inline(never)
    static func countHalfOverflow(_ chunk: UnsafeBufferPointer<Float>) -> Int {
        guard let base = chunk.baseAddress else { return 0 }
        var count = 0
        for index in 0..<chunk.count {
            let large = DTypeCast.atOrAbove(Float(65520).bitPattern, magnitudeOf: base[index])
            let nonFinite = DTypeCast.atOrAbove(Float.infinity.bitPattern, magnitudeOf: base[index])
            count &+= Int(large &- nonFinite)
        }
        return count
    }

    fileprivate static func encode(
        _ values: UnsafeBufferPointer<Float>, rowLength: Int, as type: GGMLType, importance: [Float]?,
        into target: UnsafeMutableRawBufferPointer
    ) throws {
        switch type {
        case .f32:
            target.copyMemory(from: UnsafeRawBufferPointer(values))
        case .f16:
            target.withMemoryRebound(to: UInt16.self) { _ = HalfConversion.convertFloatToF16(values, into: $0) }
        case .bf16:
            target.withMemoryRebound(to: UInt16.self) { HalfConversion.convertFloatToBF16(values, into: $0) }
        default:
            if let importance {
                try importance.withUnsafeBufferPointer {
                    try quantizeRows(values, rowLength: rowLength, as: type, importance: $0, into: target, threads: 1)
                }
            } else {
                try quantizeRows(values, rowLength: rowLength, as: type, into: target, threads: 1)
            }
        }
    }
}

/// One chunk's buffers, shared read-only by the workers; each works on its own rows.
private struct RowEncodingJob: Sendable {
    let chunk: TensorView
    let rowLength: Int
    let rowBytes: Int
    let type: GGMLType
    let importance: [Float]?
    let staging: SendablePointer<Float>
    let target: SendablePointer<UInt8>

    /// Values decoded at a time: small enough that decoding, counting and encoding a piece
    /// happen while it is still in the core's cache.
    static let pieceElements = 1 << 14

    /// Decodes, counts and encodes `rows` piece by piece, reusing the start of the rows' part of
    /// `staging` for every piece.
    func run(rows: Range<Int>) throws -> GGMLQuantizer.ValueCounts {
        var counts = GGMLQuantizer.ValueCounts()
        let rowsPerPiece = max(1, Self.pieceElements / rowLength)
        var first = rows.lowerBound
        while first < rows.upperBound {
            let end = min(rows.upperBound, first + rowsPerPiece)
            let start = rows.lowerBound * rowLength
            let values = staging.buffer(from: start, count: (end - first) * rowLength)
            try chunk.rows(first..<end).copyFloats(into: values)
            counts.nonFinite += DTypeCast.countNonFinite(UnsafeBufferPointer(values))
            if type == .f16 { counts.halfOverflow += GGMLQuantizer.countHalfOverflow(UnsafeBufferPointer(values)) }
            let bytes = UnsafeMutableRawBufferPointer(target.buffer(from: first * rowBytes, count: (end - first) * rowBytes))
            try GGMLQuantizer.encode(
                UnsafeBufferPointer(values), rowLength: rowLength, as: type, importance: importance, into: bytes)
            first = end
        }
        return counts
    }
}
