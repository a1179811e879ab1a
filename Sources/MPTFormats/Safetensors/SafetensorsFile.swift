import MPTCore

/// Reads safetensors files into zero-copy `TensorView`s over a memory map.
public enum SafetensorsFile {
    /// Maps and validates the file at `path`; errors carry the path.
    public static func read(path: String) throws -> TensorCollection {
        try attributing(to: path) {
            let storage = try ByteStorage(mappingFileAt: path)
            return try read(storage: storage, origin: path)
        }
    }

    /// Validates `storage` as a safetensors buffer and returns views into it.
    public static func read(storage: ByteStorage, origin: String) throws -> TensorCollection {
        let header = try SafetensorsHeader(parsing: storage)
        var collection = TensorCollection(origin: origin)
        collection.metadata = header.metadata
        for entry in header.entries {
            let view = try TensorView(
                storage: storage, dtype: entry.dtype, shape: entry.shape,
                byteOffset: header.dataOffset + entry.dataStart)
            try collection.add(entry.name, view)
        }
        return collection
    }
}
