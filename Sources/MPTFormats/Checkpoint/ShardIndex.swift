import MPTCore

/// A `*.index.json` shard map as `save_pretrained` writes it: `{"metadata": {...}, "weight_map": {tensor: file}}`.
public struct ShardIndex: Sendable {
    /// Tensor name → shard file name, in index order.
    public var weightMap: [(tensor: String, file: String)]
    /// Shard files in first-mention order.
    public var files: [String]

    /// Parses and validates an index file. Shard names must be plain file names in the same
    /// directory (no `/`, no `..`).
    public init(path: String) throws {
        let storage = try ByteStorage(mappingFileAt: path)
        let json = try JSONParser.parse(Array(storage.bytes))
        guard let map = json["weight_map"]?.objectMembers else {
            throw FormatError.badIndex("missing 'weight_map' object")
        }
        var weightMap: [(tensor: String, file: String)] = []
        var files: [String] = []
        var seenFiles = Set<String>()
        for (tensor, value) in map {
            guard let file = value.stringValue else { throw FormatError.badIndex("shard for '\(tensor)' is \(value.typeName), not a file name") }
            guard !file.isEmpty, !file.contains("/"), file != ".", file != ".." else {
                throw FormatError.badIndex("shard name '\(file)' is not a plain file name")
            }
            weightMap.append((tensor, file))
            if seenFiles.insert(file).inserted { files.append(file) }
        }
        guard !files.isEmpty else { throw FormatError.badIndex("'weight_map' is empty") }
        self.weightMap = weightMap
        self.files = files
    }

    /// Loads every shard with `readShard`, checks each tensor sits in the shard the index names,
    /// and merges them in index order.
    public func load(directory: String, readShard: (String) throws -> TensorCollection) throws -> TensorCollection {
        var shards: [String: TensorCollection] = [:]
        for file in files {
            shards[file] = try readShard(directory + "/" + file)
        }
        var merged = TensorCollection(origin: directory)
        var listed = Set<String>()
        for (tensor, file) in weightMap {
            guard let view = shards[file]?[tensor] else {
                throw FormatError.badIndex("'\(tensor)' is mapped to \(file) but that shard has no such tensor")
            }
            try merged.add(tensor, view)
            listed.insert(tensor)
        }
        for file in files {
            for name in shards[file]?.names ?? [] where !listed.contains(name) {
                throw FormatError.badIndex("\(file) holds '\(name)', which the index does not list")
            }
            for (key, value) in shards[file]?.metadata ?? [:] where merged.metadata[key] == nil { merged.metadata[key] = value }
        }
        return merged
    }
}
