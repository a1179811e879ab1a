import MPTCore

/// Writes a GGUF version 3 file: header, metadata in the order added, tensor infos, then each
/// tensor's data aligned, streamed one tensor at a time from its source closure (tensor data is
/// never all in memory). The file appears at its destination only once fully written and fsync'ed.
public struct GGUFWriter {
    /// The format version written.
    public static let version: UInt32 = 3

    /// A tensor to be written: its shape, type, and the closure that streams its bytes.
    public struct Tensor {
        /// The tensor's name.
        public let name: String
        /// Dimensions outermost first (row-major); the file stores them reversed.
        public let dims: [Int]
        /// Element or block type of the bytes the source produces.
        public let type: GGMLType
        /// Bytes the source must produce.
        public let byteCount: Int
        /// Writes the tensor's bytes into the sink, in row-major order of blocks.
        public let source: (inout GGUFTensorSink) throws -> Void
    }

    /// Alignment of the data section and every tensor.
    public let alignment: Int
    /// Metadata in write order.
    public private(set) var metadata: [(key: String, value: GGUFValue)] = []
    /// Tensors in write order.
    public private(set) var tensors: [Tensor] = []
    private var keys: Set<String> = []
    private var tensorNames: Set<String> = []

    /// A writer with the given alignment (a power of two). A non-default alignment is recorded
    /// as the first metadata entry, `general.alignment` (UINT32).
    public init(alignment: Int = GGUFFile.defaultAlignment) throws {
        guard alignment > 0, alignment & (alignment - 1) == 0, let raw = UInt32(exactly: alignment) else {
            throw GGUFError.badAlignment(UInt64(clamping: alignment))
        }
        self.alignment = alignment
        if alignment != GGUFFile.defaultAlignment {
            metadata.append((GGUFFile.alignmentKey, .uint32(raw)))
            keys.insert(GGUFFile.alignmentKey)
        }
    }

    /// Adds a metadata entry. Duplicate keys, arrays with elements of another type than declared,
    /// and arrays nested deeper than the reader accepts are rejected. `general.alignment` must be
    /// a UINT32 equal to the writer's alignment (pass the alignment to `init` instead).
    public mutating func addMetadata(_ key: String, _ value: GGUFValue) throws {
        guard !keys.contains(key) else { throw GGUFError.duplicateKey(key) }
        if key == GGUFFile.alignmentKey, value != .uint32(UInt32(alignment)) {
            throw GGUFError.invalidValue(key: key, reason: "must be UINT32 \(alignment), the writer's alignment")
        }
        try Self.validate(value, key: key, depth: 0)
        keys.insert(key)
        metadata.append((key, value))
    }

    /// Adds a tensor. `dims` are outermost first; the innermost (last) must be a whole number of
    /// the type's blocks. `source` runs during `write(to:)` and must write exactly the tensor's
    /// byte size into the sink.
    public mutating func addTensor(
        name: String, dims: [Int], type: GGMLType,
        source: @escaping (inout GGUFTensorSink) throws -> Void
    ) throws {
        guard !tensorNames.contains(name) else { throw GGUFError.duplicateTensor(name) }
        guard dims.count <= GGUFFile.maxDimensions else {
            throw GGUFError.tooManyDimensions(tensor: name, count: UInt32(clamping: dims.count), limit: GGUFFile.maxDimensions)
        }
        let info = try GGUFTensorInfo(name: name, dims: dims.reversed(), type: type, offset: 0)
        tensorNames.insert(name)
        tensors.append(Tensor(name: name, dims: dims, type: type, byteCount: info.byteCount, source: source))
    }

    /// Writes the file to `path` via a temporary file in the same directory, fsync (unless
    /// `durable` is false) and rename. An existing file is replaced only when `overwrite` is
    /// true; on any error nothing is left behind.
    public func write(to path: String, overwrite: Bool = true, durable: Bool = true) throws {
        let output = try AtomicOutputFile(path: path, overwrite: overwrite, durable: durable)
        try output.write(try headerBytes())
        try output.writeZeros(padding(after: output.bytesWritten))
        for tensor in tensors {
            var sink = GGUFTensorSink(output: output, tensor: tensor.name, expected: tensor.byteCount)
            try tensor.source(&sink)
            guard sink.written == tensor.byteCount else {
                throw GGUFError.tensorByteCount(tensor: tensor.name, expected: tensor.byteCount, produced: sink.written)
            }
            try output.writeZeros(padding(after: output.bytesWritten))
        }
        try output.commit()
    }

    /// Header, metadata and tensor infos (everything before the padding that precedes the data).
    func headerBytes() throws -> [UInt8] {
        var encoder = GGUFEncoder()
        encoder.bytes.append(contentsOf: GGUFFile.magic)
        encoder.uint32(Self.version)
        encoder.uint64(UInt64(tensors.count))
        encoder.uint64(UInt64(metadata.count))
        for (key, value) in metadata {
            encoder.string(key)
            encoder.uint32(value.type.rawValue)
            encoder.value(value)
        }
        var offset = 0
        for tensor in tensors {
            encoder.string(tensor.name)
            encoder.uint32(UInt32(tensor.dims.count))
            for dim in tensor.dims.reversed() { encoder.uint64(UInt64(dim)) }
            encoder.uint32(tensor.type.rawValue)
            encoder.uint64(UInt64(offset))
            let padded = try Checked.add(tensor.byteCount, padding(after: tensor.byteCount), "data size")
            offset = try Checked.add(offset, padded, "data size")
        }
        return encoder.bytes
    }

    private func padding(after position: Int) -> Int {
        (alignment - position % alignment) % alignment
    }

    private static func validate(_ value: GGUFValue, key: String, depth: Int) throws {
        guard case let .array(elementType, elements) = value else { return }
        guard depth < GGUFFile.maxArrayNesting else {
            throw GGUFError.nestingTooDeep(key: key, limit: GGUFFile.maxArrayNesting)
        }
        for element in elements {
            guard element.type == elementType else {
                throw GGUFError.invalidValue(key: key, reason: "array of \(elementType) holds a \(element.type)")
            }
            try validate(element, key: key, depth: depth + 1)
        }
    }
}
