import MPTCore

/// Where a `GGUFWriter` tensor source writes its bytes, in order, piece by piece. The writer
/// checks that the pieces add up to exactly the tensor's byte size.
public struct GGUFTensorSink {
    let output: AtomicOutputFile
    let tensor: String
    let expected: Int
    /// Bytes written so far for this tensor.
    public private(set) var written = 0

    init(output: AtomicOutputFile, tensor: String, expected: Int) {
        self.output = output
        self.tensor = tensor
        self.expected = expected
    }

    /// Appends raw bytes; writing past the tensor's size throws.
    public mutating func write(_ bytes: UnsafeRawBufferPointer) throws {
        let (total, overflow) = written.addingReportingOverflow(bytes.count)
        guard !overflow, total <= expected else {
            throw GGUFError.tensorByteCount(tensor: tensor, expected: expected, produced: overflow ? Int.max : total)
        }
        try output.write(bytes)
        written = total
    }

    /// Appends bytes from an array.
    public mutating func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends the bytes of trivially-typed values (little-endian host, e.g. `[Float]`, `[UInt16]`).
    public mutating func write<T: BitwiseCopyable>(contentsOf values: [T]) throws {
        try values.withUnsafeBytes { try write($0) }
    }
}
