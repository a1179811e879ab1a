import MPTCore

/// Writes a safetensors model whose tensors' sizes are only known once they are produced (for
/// example quantized weights with a data-dependent state blob). Tensor data streams to a
/// temporary data file per shard; when a shard is complete its header is written and the data
/// copied behind it. Tensors keep the order they are appended in. Sharding follows
/// `save_pretrained`: a new shard starts when the next tensor would push the current one over
/// `shardSize`.
public final class DeferredSafetensorsWriter {
    private typealias Entry = SafetensorsHeaderEncoder.Entry

    private let directory: String
    private let baseName: String
    private let shardSize: Int?
    private let metadata: [String: String]
    private var entries: [Entry] = []
    private var names = Set<String>()
    private var data: AtomicOutputFile?
    private var finishedShards: [(temporaryName: String, tensors: [String])] = []
    private var totalSize = 0

    /// Writes into `directory` as `<baseName>.safetensors` or shards.
    public init(directory: String, baseName: String = "model", shardSize: Int? = nil, metadata: [String: String] = ["format": "pt"]) {
        self.directory = directory
        self.baseName = baseName
        self.shardSize = shardSize
        self.metadata = metadata
    }

    /// Appends a tensor of known size, streaming its bytes from the producer.
    public func append(_ tensor: OutputTensor) throws {
        guard names.insert(tensor.name).inserted else { throw SafetensorsWriteError.duplicateName(tensor.name) }
        let expected = try tensor.byteCount()
        let current = entries.last?.end ?? 0
        if let limit = shardSize, !entries.isEmpty, current + expected > limit { try closeShard() }
        if data == nil { data = try AtomicOutputFile(path: directory + "/.\(baseName)-shard-\(finishedShards.count).data") }
        guard let data else { return }
        let sink = TensorSink(file: data)
        try tensor.produce(sink)
        guard sink.written == expected else {
            throw SafetensorsWriteError.wrongByteCount(name: tensor.name, wrote: sink.written, expected: expected)
        }
        let start = entries.last?.end ?? 0
        entries.append(Entry(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape, start: start, end: start + expected))
        totalSize = try Checked.add(totalSize, expected, "total size")
    }

    /// Appends a tensor whose bytes are already in memory (`shape × dtype` bytes).
    public func append(name: String, dtype: DType, shape: Shape, bytes: [UInt8]) throws {
        try append(OutputTensor(name: name, dtype: dtype, shape: shape) { try $0.write(bytes) })
    }

    /// Writes the last shard and, when there are several, the index. Returns the files written.
    public func finish() throws -> [String] {
        if !entries.isEmpty || finishedShards.isEmpty { try closeShard() }
        if finishedShards.count == 1, let only = finishedShards.first {
            let name = "\(baseName).safetensors"
            try rename(only.temporaryName, to: name)
            return [name]
        }
        var written: [String] = []
        var weightMap: [(tensor: String, file: String)] = []
        for (index, shard) in finishedShards.enumerated() {
            let name = ShardNaming.shardName(base: baseName, index: index, count: finishedShards.count)
            try rename(shard.temporaryName, to: name)
            written.append(name)
            weightMap.append(contentsOf: shard.tensors.map { ($0, name) })
        }
        written.append(try ShardNaming.writeIndex(directory: directory, base: baseName, totalSize: totalSize, weightMap: weightMap))
        return written
    }

    private func rename(_ from: String, to name: String) throws {
        try FileOperations.rename(directory + "/" + from, to: directory + "/" + name)
    }

    private func closeShard() throws {
        let temporaryName = ".\(baseName)-shard-\(finishedShards.count).safetensors"
        let file = try AtomicOutputFile(path: directory + "/" + temporaryName)
        try file.write(SafetensorsHeaderEncoder.encode(entries: entries, metadata: metadata))
        if let data {
            try data.commit(durable: false)
            try file.append(contentsOfFileAt: data.path)
            FileOperations.remove(data.path)
        }
        try file.commit()
        finishedShards.append((temporaryName, entries.map(\.name)))
        entries = []
        data = nil
    }
}
