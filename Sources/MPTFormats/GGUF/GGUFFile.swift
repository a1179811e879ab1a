import MPTCore

/// A parsed GGUF file (version 2 or 3, little-endian): typed metadata in file order, validated
/// tensor infos, and zero-copy access to tensor bytes in the memory-mapped file.
public struct GGUFFile: Sendable {
    /// The four magic bytes `GGUF`.
    public static let magic: [UInt8] = Array("GGUF".utf8)
    /// Alignment when `general.alignment` is absent.
    public static let defaultAlignment = 32
    /// The metadata key that sets the alignment (a UINT32).
    public static let alignmentKey = "general.alignment"
    /// Most dimensions a tensor may have (`GGML_MAX_DIMS`).
    public static let maxDimensions = 4
    /// Deepest array nesting the reader accepts.
    public static let maxArrayNesting = 8

    /// The mapped file.
    public let storage: ByteStorage
    /// Format version (2 or 3).
    public let version: UInt32
    /// Metadata in file order.
    public let metadata: [(key: String, value: GGUFValue)]
    /// Tensor infos in file order.
    public let tensors: [GGUFTensorInfo]
    /// Alignment of the data section and of every tensor offset.
    public let alignment: Int
    /// Absolute offset of the data section (tensor offsets are relative to it).
    public let dataStart: Int

    /// Every part of a split GGUF in order (`parts[0]` is this file's own storage and data
    /// section); empty for a single file.
    public let parts: [GGUFFile]

    private let metadataIndex: [String: Int]
    private let tensorIndex: [String: Int]

    init(storage: ByteStorage, version: UInt32, metadata: [(key: String, value: GGUFValue)],
         metadataIndex: [String: Int], tensors: [GGUFTensorInfo], tensorIndex: [String: Int],
         alignment: Int, dataStart: Int, parts: [GGUFFile] = []) {
        self.parts = parts
        self.storage = storage
        self.version = version
        self.metadata = metadata
        self.metadataIndex = metadataIndex
        self.tensors = tensors
        self.tensorIndex = tensorIndex
        self.alignment = alignment
        self.dataStart = dataStart
    }

    /// The value stored under `key`, if any.
    public subscript(key: String) -> GGUFValue? {
        guard let index = metadataIndex[key] else { return nil }
        return metadata[index].value
    }

    /// The mapped bytes and data-section start of the file holding `info` (its part of a split GGUF).
    public func location(of info: GGUFTensorInfo) -> (storage: ByteStorage, dataStart: Int) {
        guard info.part > 0, info.part < parts.count else { return (storage, dataStart) }
        return (parts[info.part].storage, parts[info.part].dataStart)
    }

    /// The tensor info named `name`, if any.
    public func tensor(named name: String) -> GGUFTensorInfo? {
        guard let index = tensorIndex[name] else { return nil }
        return tensors[index]
    }
}
