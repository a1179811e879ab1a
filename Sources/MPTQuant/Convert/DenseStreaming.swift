import MPTCore
import MPTFormats
import MPTGraph

/// Streams a dense tensor in row chunks as `Float`, so converting a tensor never holds more than
/// one chunk in memory, and releases the mapped input pages behind it.
enum DenseStreaming {
    /// Elements per chunk (4 Mi floats = 16 MiB).
    static let chunkElements = 1 << 22

    /// Calls `body` with consecutive chunks of the tensor's values, in row-major order.
    static func forEachChunk(_ view: TensorView, _ body: (UnsafeBufferPointer<Float>) throws -> Void) throws {
        let count = view.shape.elementCount
        guard count > 0 else { return }
        guard view.isContiguous, let rows = view.shape.dims.first, rows > 0, view.shape.rank >= 1 else {
            let values = try view.floats()
            try values.withUnsafeBufferPointer { try body($0) }
            return
        }
        let rowElements = count / rows
        let rowsPerChunk = max(1, chunkElements / max(rowElements, 1))
        // Only needed when the view is not F32 already (F32 chunks are read in place).
        var buffer = view.dtype == .f32 ? [] : [Float](repeating: 0, count: min(count, rowsPerChunk * rowElements))
        var row = 0
        while row < rows {
            let take = min(rowsPerChunk, rows - row)
            let slice = try view.rows(row..<(row + take))
            let elements = take * rowElements
            let direct: Void? = try slice.withFloat32Elements { try body($0) }
            if direct == nil {
                try buffer.withUnsafeMutableBufferPointer { pointer in
                    let target = UnsafeMutableBufferPointer(rebasing: pointer[0..<elements])
                    try slice.copyFloats(into: target)
                    try body(UnsafeBufferPointer(target))
                }
            }
            slice.storage.dropCachedPages(offset: slice.byteOffset, length: slice.byteCount)
            row += take
        }
    }
}
