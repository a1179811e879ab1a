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
    /// The checkpoint's own directory: `path` itself for a model directory, else the directory
    /// holding the weights file. Files that belong with the weights (`config.json`, tokenizer
    /// files, `generation_config.json`) are looked up here.
    public var directory: String
    /// Weights format.
    public var format: CheckpointFormat
    /// All tensors, merged across shards.
    public var tensors: TensorCollection
    /// The parsed `config.json`, when the checkpoint has one.
    public var config: JSONValue?
    /// The weight files read, relative to `path` for directories.
    public var files: [String]
    /// `tokenizer.json`, when present; for a GGUF that stores a tokenizer, the GGUF file itself.
    public var tokenizerPath: String?
    /// The parsed GGUF file when the checkpoint is one: its typed metadata stands in for
    /// `config.json`, and its tensor infos carry the block types that `tensors` (raw bytes for
    /// block-quantized tensors) cannot express.
    public var gguf: GGUFFile?
    /// How a PyTorch weights file was laid out (a state dict or a Composer checkpoint).
    public var pytorchLayout: PyTorchCheckpoint.Layout?
    /// True when `config` is the HF config stored inside a Composer checkpoint (no config.json).
    public var configFromCheckpoint = false

    /// `directory` defaults to `Checkpoint.directory(of: path)`.
    public init(path: String, format: CheckpointFormat, tensors: TensorCollection, config: JSONValue?, files: [String],
                tokenizerPath: String?, gguf: GGUFFile? = nil, directory: String? = nil) {
        self.path = path
        self.directory = directory ?? Checkpoint.directory(of: path)
        self.format = format
        self.tensors = tensors
        self.config = config
        self.files = files
        self.tokenizerPath = tokenizerPath
        self.gguf = gguf
    }
}

extension Checkpoint {
    /// The directory a checkpoint at `path` lives in: `path` itself when it names a directory,
    /// else the directory part of `path` (`.` for a bare file name, `/` for a file in the root).
    /// Works before the checkpoint is opened (the converter checks output paths against it).
    public static func directory(of path: String) -> String {
        if FileKind.of(path) == .directory { return path }
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    /// `name` inside the checkpoint's directory.
    public func file(_ name: String) -> String { directory + "/" + name }
}

/// Readers for formats that live outside this file register here, keyed by file extension, so
/// the loader dispatches without knowing them.
public struct WeightFileReaders: Sendable {
    /// Reads one safetensors file.
    public var safetensors: @Sendable (String) throws -> TensorCollection = { try SafetensorsFile.read(path: $0) }
    /// Reads one PyTorch `.bin`/`.pt` file (a state dict or a Composer checkpoint).
    public var pytorch: @Sendable (String) throws -> PyTorchCheckpoint.Contents = { try PyTorchCheckpoint.readContents(path: $0) }
    /// Reads one GGUF file.
    public var gguf: @Sendable (String) throws -> GGUFFile = { try GGUFFile.read(path: $0) }

    public init() {}
}
