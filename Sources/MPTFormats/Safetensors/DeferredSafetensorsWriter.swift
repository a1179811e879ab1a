import MPTCore

/// Writes a safetensors model whose tensors are only known one by one as they are produced
/// (for example quantized weights with a data-dependent state blob), so the header can only be
/// encoded at the end. Each shard's data streams into the shard file behind `headerReserve`
/// reserved bytes; when the shard is complete its header is written into that space, padded
/// with spaces. A header that outgrows the reservation is written into a new file followed by
/// a copy of the data. Tensors keep the order they are appended in. Sharding follows
/// `save_pretrained`: a new shard starts when the next tensor would push the current one over
/// `shardSize`.
public final class DeferredSafetensorsWriter {
    private typealias Entry = SafetensorsHeaderEncoder.Entry

    private let directory: String
    private let baseName: String
    private let shardSize: Int?
    private let metadata: [String: String]
    private let durable: Bool
    private let headerReserve: Int
    private var entries: [Entry] = []
    private var names = Set<String>()
    private var shard: AtomicOutputFile?
    private var finishedShards: [(temporaryName: String, tensors: [String])] = []
    private var totalSize = 0

    /// Writes into `directory` as `<baseName>.safetensors` or shards. `headerReserve` is the
    /// expected header size in bytes (rounded up to a multiple of 8; an estimate — see
    /// `reserve(forNames:)`); `durable: false` skips the fsyncs.
    public init(directory: String, baseName: String = "model", shardSize: Int? = nil,
                metadata: [String: String] = ["format": "pt"], headerReserve: Int = 4096, durable: Bool = true) {
        self.directory = directory
        self.baseName = baseName
        self.shardSize = shardSize
        self.metadata = metadata
        self.durable = durable
        self.headerReserve = (max(16, headerReserve) + 7) / 8 * 8
    }

    /// A header reservation that holds entries for `names` with shapes of up to four dimensions
    /// and offsets of up to 15 digits, plus the metadata.
    public static func reserve(forNames names: [String], metadata: [String: String] = ["format": "pt"]) -> Int {
        let metadataBytes = metadata.reduce(32) { $0 + $1.key.utf8.count + $1.value.utf8.count + 8 }
        let perEntry = #"""":{"dtype":"F8_E4M3","shape":[,,,],"data_offsets":[,]},"#.utf8.count + 4 * 12 + 2 * 15
        return names.reduce(metadataBytes) { $0 + $1.utf8.count + perEntry }
    }

    /// Appends a tensor of known size, streaming its bytes from the producer.
    public func append(_ tensor: OutputTensor) throws {
        guard names.insert(tensor.name).inserted else { throw SafetensorsWriteError.duplicateName(tensor.name) }
        let expected = try tensor.byteCount()
        let current = entries.last?.end ?? 0
        if let limit = shardSize, !entries.isEmpty, current + expected > limit { try closeShard() }
        let file = try openShard()
        let sink = TensorSink(file: file)
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
        written.append(try ShardNaming.writeIndex(directory: directory, base: baseName, totalSize: totalSize,
                                                  weightMap: weightMap, durable: durable))
        return written
    }

    private func rename(_ from: String, to name: String) throws {
        try FileOperations.rename(directory + "/" + from, to: directory + "/" + name)
    }

    private var shardTemporaryName: String { ".\(baseName)-shard-\(finishedShards.count).safetensors" }

    /// The current shard's file, created with the header space reserved.
    private func openShard() throws -> AtomicOutputFile {
        if let shard { return shard }
        let file = try AtomicOutputFile(path: directory + "/" + shardTemporaryName, durable: durable)
        try file.writeZeros(headerReserve)
        shard = file
        return file
    }

    private func closeShard() throws {
        let file = try openShard()
        if let front = SafetensorsHeaderEncoder.encode(entries: entries, metadata: metadata, exactLength: headerReserve) {
            try file.overwrite(at: 0, with: front)
            try file.commit()
        } else {
            try rewriteWithLargerHeader(data: file)
        }
        finishedShards.append((shardTemporaryName, entries.map(\.name)))
        entries = []
        shard = nil
    }

    /// The reservation was too small: the data is committed under a scratch name, and the
    /// header goes into a new file with the data copied behind it.
    private func rewriteWithLargerHeader(data: AtomicOutputFile) throws {
        let scratch = directory + "/.\(baseName)-shard-\(finishedShards.count).data"
        try data.commit()
        try FileOperations.rename(directory + "/" + shardTemporaryName, to: scratch)
        defer { FileOperations.remove(scratch) }
        let file = try AtomicOutputFile(path: directory + "/" + shardTemporaryName, overwrite: true, durable: durable)
        try file.write(SafetensorsHeaderEncoder.encode(entries: entries, metadata: metadata))
        try file.append(contentsOfFileAt: scratch, skipping: headerReserve)
        try file.commit()
    }
}
