import MPTCore

/// A tensor to be written: its header entry and a producer of exactly `byteCount` bytes.
public struct OutputTensor: Sendable {
    public var name: String
    public var dtype: DType
    public var shape: Shape
    /// Writes the tensor's little-endian bytes, row-major, to the sink.
    public var produce: @Sendable (TensorSink) throws -> Void

    public init(name: String, dtype: DType, shape: Shape, produce: @escaping @Sendable (TensorSink) throws -> Void) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.produce = produce
    }

    /// Bytes this tensor occupies.
    public func byteCount() throws -> Int { try shape.byteCount(of: dtype) }
}

/// Where a tensor's bytes go; counts what is written so the writer can check it.
public final class TensorSink {
    let file: AtomicOutputFile
    private(set) var written = 0

    init(file: AtomicOutputFile) { self.file = file }

    /// Appends raw bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        try file.write(bytes)
        written += bytes.count
    }

    /// Appends a byte array.
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Appends `byteCount` bytes produced in place, piece by piece: `fill` gets each piece's byte
    /// range (within these `byteCount` bytes; boundaries are multiples of `alignment`) and the
    /// output buffer to fill completely. Saves a staging copy for converted values.
    public func write(byteCount: Int, alignment: Int,
                      _ fill: (Range<Int>, UnsafeMutableRawBufferPointer) throws -> Void) throws {
        let step = max(alignment, (1 << 20) / max(alignment, 1) * max(alignment, 1))
        var start = 0
        while start < byteCount {
            let end = min(byteCount, start + step)
            try file.append(byteCount: end - start) { try fill(start..<end, $0) }
            written += end - start
            start = end
        }
    }

    /// Appends `Float`s as little-endian F32.
    public func write(_ floats: [Float]) throws { try floats.withUnsafeBytes { try write($0) } }

    /// Appends 16-bit words as little-endian bytes.
    public func write(_ words: [UInt16]) throws { try words.withUnsafeBytes { try write($0) } }
}

/// Errors from writing safetensors.
public enum SafetensorsWriteError: Error, Sendable, CustomStringConvertible {
    case wrongByteCount(name: String, wrote: Int, expected: Int)
    case duplicateName(String)

    public var description: String {
        switch self {
        case let .wrongByteCount(name, wrote, expected): return "tensor '\(name)': producer wrote \(wrote) bytes, expected \(expected)"
        case let .duplicateName(name): return "tensor '\(name)' is written twice"
        }
    }
}

/// Writes safetensors files (single or sharded like `save_pretrained`), streaming tensor by tensor
/// into a temporary file that is renamed into place when complete.
public enum SafetensorsWriter {
    /// The deterministic on-disk order: larger element size first (keeps data aligned), then by name.
    public static func ordered(_ tensors: [OutputTensor]) -> [OutputTensor] {
        tensors.sorted { ($1.dtype.byteSize, $0.name) < ($0.dtype.byteSize, $1.name) }
    }

    /// Writes one safetensors file at `path` (`durable: false` skips the fsyncs).
    public static func writeFile(path: String, tensors: [OutputTensor], metadata: [String: String] = [:], overwrite: Bool = false,
                                 durable: Bool = true) throws {
        try attributing(to: path) {
            let ordered = ordered(tensors)
            var seen = Set<String>()
            var entries: [SafetensorsHeaderEncoder.Entry] = []
            var offset = 0
            for tensor in ordered {
                guard seen.insert(tensor.name).inserted else { throw SafetensorsWriteError.duplicateName(tensor.name) }
                let end = try Checked.add(offset, try tensor.byteCount(), "data offsets")
                entries.append(.init(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, start: offset, end: end))
                offset = end
            }
            let file = try AtomicOutputFile(path: path, overwrite: overwrite, durable: durable)
            try file.write(SafetensorsHeaderEncoder.encode(entries: entries, metadata: metadata))
            for tensor in ordered {
                let sink = TensorSink(file: file)
                try tensor.produce(sink)
                let expected = try tensor.byteCount()
                guard sink.written == expected else {
                    throw SafetensorsWriteError.wrongByteCount(name: tensor.name, wrote: sink.written, expected: expected)
                }
            }
            try file.commit()
        }
    }

    /// Writes `tensors` into `directory` as `model.safetensors`, or — when the total exceeds
    /// `shardSize` bytes — as `model-0000K-of-0000N.safetensors` shards with a
    /// `model.safetensors.index.json`, splitting like `save_pretrained` (in order, a new shard
    /// when the next tensor would overflow the current one). Returns the file names written.
    @discardableResult
    public static func writeModel(
        directory: String, tensors: [OutputTensor], metadata: [String: String] = ["format": "pt"],
        shardSize: Int? = nil, baseName: String = "model", durable: Bool = true
    ) throws -> [String] {
        let ordered = ordered(tensors)
        var shards: [[OutputTensor]] = [[]]
        var currentSize = 0
        var totalSize = 0
        for tensor in ordered {
            let size = try tensor.byteCount()
            totalSize = try Checked.add(totalSize, size, "total size")
            if let limit = shardSize, !shards[shards.count - 1].isEmpty, currentSize + size > limit {
                shards.append([])
                currentSize = 0
            }
            shards[shards.count - 1].append(tensor)
            currentSize += size
        }
        if shards.count == 1 {
            let name = "\(baseName).safetensors"
            try writeFile(path: directory + "/" + name, tensors: ordered, metadata: metadata, durable: durable)
            return [name]
        }
        var written: [String] = []
        var weightMap: [(tensor: String, file: String)] = []
        for (index, shard) in shards.enumerated() {
            let name = ShardNaming.shardName(base: baseName, index: index, count: shards.count)
            try writeFile(path: directory + "/" + name, tensors: shard, metadata: metadata, durable: durable)
            written.append(name)
            for tensor in shard { weightMap.append((tensor.name, name)) }
        }
        written.append(try ShardNaming.writeIndex(directory: directory, base: baseName, totalSize: totalSize,
                                                  weightMap: weightMap, durable: durable))
        return written
    }
}

extension OutputTensor {
    /// A tensor that copies a view's bytes unchanged (same dtype; strided views are gathered).
    public static func copying(_ view: TensorView, as name: String) -> OutputTensor {
        OutputTensor(name: name, dtype: view.dtype, shape: view.shape) { sink in
            if view.isContiguous {
                try view.withContiguousBytes { try sink.write($0) }
            } else {
                try sink.write(try view.contiguousBytes())
            }
        }
    }
}
