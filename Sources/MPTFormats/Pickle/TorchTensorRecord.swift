import MPTCore

/// A torch storage as a checkpoint's persistent id names it: `('storage', type, key, location, numel)`.
public struct TorchStorageReference: Sendable, Hashable {
    /// Storage class (and so element type).
    public let type: TorchStorageType
    /// Archive key: the data lives in `<prefix>/data/<key>`.
    public let key: String
    /// Device it was saved from (`cpu`, `cuda:0`); informational.
    public let location: String
    /// Number of elements (bytes for `UntypedStorage`).
    public let elementCount: Int
}

/// A tensor as `_rebuild_tensor_v2`/`_v3` describes it: a strided window onto a storage.
public struct TorchTensorRecord: Sendable {
    /// The storage holding the elements.
    public let storage: TorchStorageReference
    /// Element type (the storage's, or the explicit dtype of `_rebuild_tensor_v3`).
    public let dtype: DType
    /// Offset of element `[0, 0, …]` in elements of `dtype`.
    public let storageOffset: Int
    /// Shape.
    public let size: [Int64]
    /// Element strides.
    public let stride: [Int64]
}
