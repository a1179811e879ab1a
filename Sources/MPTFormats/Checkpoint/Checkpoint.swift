import MPTCore

/// The on-disk format the tensors of a checkpoint came from.
public enum CheckpointFormat: String, Sendable {
    case safetensors
    case pytorch
    case gguf
}

/// A checkpoint as found on disk: a Hugging Face–style model directory (config.json + weights,
/// single or sharded, optional tokenizer.json) or a single weights file.
public struct Checkpoint: Sendable {
    /// The path the user gave.
    public var path: String
    /// Weights format.
    public var format: CheckpointFormat
    /// All tensors, merged across shards.
    public var tensors: TensorCollection
    /// The parsed `config.json`, when the checkpoint has one.
    public var config: JSONValue?
    /// The weight files read, relative to `path` for directories.
    public var files: [String]
    /// `tokenizer.json`, when present.
    public var tokenizerPath: String?
    /// The parsed GGUF file when the checkpoint is one: its typed metadata stands in for
    /// `config.json`, and its tensor infos carry the block types that `tensors` (raw bytes for
    /// block-quantized tensors) cannot express.
    public var gguf: GGUFFile?

    public init(path: String, format: CheckpointFormat, tensors: TensorCollection, config: JSONValue?, files: [String],
                tokenizerPath: String?, gguf: GGUFFile? = nil) {
        self.path = path
        self.format = format
        self.tensors = tensors
        self.config = config
        self.files = files
        self.tokenizerPath = tokenizerPath
        self.gguf = gguf
    }
}

/// Readers for formats that live outside this file register here, keyed by file extension, so
/// the loader dispatches without knowing them.
public struct WeightFileReaders: Sendable {
    /// Reads one safetensors file.
    public var safetensors: @Sendable (String) throws -> TensorCollection = { try SafetensorsFile.read(path: $0) }
    /// Reads one PyTorch `.bin` file.
    public var pytorch: @Sendable (String) throws -> TensorCollection = { try PyTorchCheckpoint.read(path: $0) }
    /// Reads one GGUF file.
    public var gguf: @Sendable (String) throws -> GGUFFile = { try GGUFFile.read(path: $0) }

    public init() {}
}
