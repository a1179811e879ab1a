import MPTCore

/// Resolves storage references to archive bytes (once per key, so tied tensors share one
/// buffer) and builds bounds-checked tensor views on them.
struct PyTorchStorages {
    let archive: ZipArchive
    let prefix: String
    private var resolved: [String: (reference: TorchStorageReference, bytes: ZipEntryBytes)] = [:]

    init(archive: ZipArchive, prefix: String) {
        self.archive = archive
        self.prefix = prefix
    }

    /// A view of `record`'s elements, checked to lie inside its storage's declared elements.
    mutating func view(of record: TorchTensorRecord, tensor name: String) throws -> TensorView {
        let bytes = try storageBytes(record.storage, tensor: name)
        let storageBytes = try Checked.multiply(record.storage.elementCount, record.storage.type.dtype.byteSize, "size of storage '\(record.storage.key)'")
        let capacity = storageBytes / record.dtype.byteSize
        let shape = try Shape(checking: record.size)
        var strides: [Int] = []
        for stride in record.stride {
            guard stride >= 0, let value = Int(exactly: stride) else {
                throw PyTorchError.badTensorLayout(tensor: name, reason: "stride \(stride) is negative or too large")
            }
            strides.append(value)
        }
        guard record.storageOffset <= capacity else {
            throw PyTorchError.tensorOutOfStorage(tensor: name, lastElement: record.storageOffset, storageElements: capacity)
        }
        if shape.elementCount > 0 {
            var last = record.storageOffset
            for (dim, stride) in zip(shape.dims, strides) {
                last = try Checked.add(last, try Checked.multiply(dim - 1, stride, "extent of '\(name)'"), "extent of '\(name)'")
            }
            guard last < capacity else {
                throw PyTorchError.tensorOutOfStorage(tensor: name, lastElement: last, storageElements: capacity)
            }
        }
        let byteOffset = try Checked.add(bytes.offset, record.storageOffset * record.dtype.byteSize, "offset of '\(name)'")
        return try TensorView(storage: bytes.storage, dtype: record.dtype, shape: shape, byteOffset: byteOffset, strides: strides)
    }

    private mutating func storageBytes(_ reference: TorchStorageReference, tensor name: String) throws -> ZipEntryBytes {
        if let known = resolved[reference.key] {
            guard known.reference == reference || sameStorage(known.reference, reference) else {
                throw PyTorchError.conflictingStorage(key: reference.key)
            }
            return known.bytes
        }
        let entryName = prefix + "data/" + reference.key
        guard let entry = archive.entry(named: entryName) else {
            throw PyTorchError.missingStorage(tensor: name, entry: entryName)
        }
        let needed = try Checked.multiply(reference.elementCount, reference.type.dtype.byteSize, "size of storage '\(reference.key)'")
        guard entry.uncompressedSize >= needed else {
            throw PyTorchError.storageTooSmall(key: reference.key, needed: needed, available: entry.uncompressedSize)
        }
        let bytes = try archive.contents(of: entry)
        resolved[reference.key] = (reference, bytes)
        return bytes
    }

    /// Same class and element count (the location may differ between saves of tied tensors).
    private func sameStorage(_ a: TorchStorageReference, _ b: TorchStorageReference) -> Bool {
        a.type == b.type && a.elementCount == b.elementCount
    }
}
