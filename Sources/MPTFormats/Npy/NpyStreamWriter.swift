import MPTCore

/// Writes a float32 `.npy` of shape `(rows, columns)` row block by row block, so an array that
/// is produced in pieces (a forward pass's logits) is never held whole: the header first, then
/// the rows in order, under a temporary name renamed into place by `commit()` (after `fsync`),
/// which checks that exactly `rows` rows came.
public final class NpyStreamWriter {
    /// The destination path.
    public let path: String
    /// Rows and columns of the array.
    public let rows: Int, columns: Int
    private let file: AtomicOutputFile
    private var written = 0

    /// Starts `path` (replacing an existing file) with the header of a `(rows, columns)` `<f4` array.
    public init(path: String, rows: Int, columns: Int) throws {
        self.path = path
        self.rows = rows
        self.columns = columns
        file = try AtomicOutputFile(path: path, overwrite: true)
        try file.write(try NpyArray.header(shape: [rows, columns], elementType: .float32))
    }

    /// Appends whole rows of `values` (`k × columns` floats, little-endian on disk).
    public func append(_ values: UnsafeBufferPointer<Float>) throws {
        guard values.count % max(columns, 1) == 0, written + values.count / max(columns, 1) <= rows else {
            throw NpyError.shapeMismatch(shape: [rows, columns], count: written * columns + values.count)
        }
        for row in 0..<(values.count / max(columns, 1)) {
            let start = row * columns
            try file.append(byteCount: columns * 4) { buffer in  // one row per piece: within the file's buffer
                for index in 0..<columns {
                    buffer.storeBytes(of: values[start + index].bitPattern.littleEndian, toByteOffset: index * 4, as: UInt32.self)
                }
            }
            written += 1
        }
    }

    /// Appends rows of `Double` values, each rounded to float32 as `NpyArray` writes them.
    public func append(_ values: UnsafeBufferPointer<Double>) throws {
        try Array(values.lazy.map { Float($0) }).withUnsafeBufferPointer { try append($0) }
    }

    /// Renames the file into place once every row is written.
    public func commit() throws {
        guard written == rows else { throw NpyError.shapeMismatch(shape: [rows, columns], count: written * columns) }
        try file.commit()
    }
}
