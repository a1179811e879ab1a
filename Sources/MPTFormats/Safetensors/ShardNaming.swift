import MPTCore

/// `save_pretrained`'s shard file names and index file.
public enum ShardNaming {
    /// `model-00002-of-00005.safetensors`.
    public static func shardName(base: String, index: Int, count: Int) -> String {
        "\(base)-\(padded(index + 1))-of-\(padded(count)).safetensors"
    }

    /// Writes `<base>.safetensors.index.json` mapping each tensor to its shard.
    public static func writeIndex(directory: String, base: String, totalSize: Int, weightMap: [(tensor: String, file: String)],
                                  durable: Bool = true) throws -> String {
        let map = weightMap.sorted { $0.tensor < $1.tensor }.map { (key: $0.tensor, value: JSONValue.string($0.file)) }
        let index: JSONValue = .object([
            ("metadata", .object([("total_size", .int(totalSize))])),
            ("weight_map", .object(map)),
        ])
        let name = "\(base).safetensors.index.json"
        let file = try AtomicOutputFile(path: directory + "/" + name, durable: durable)
        try file.write(JSONWriter.pretty(index))
        try file.commit()
        return name
    }

    private static func padded(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: "0", count: max(0, 5 - text.count)) + text
    }
}
