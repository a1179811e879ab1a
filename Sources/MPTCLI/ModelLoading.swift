import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// Opens a checkpoint and builds its validated MPT graph.
public enum ModelLoading {
    /// Loads `path` (directory or weights file) as an MPT model.
    public static func model(at path: String) throws -> MPTModel {
        let checkpoint = try CheckpointLoader.open(path)
        return try MPTModel(checkpoint: checkpoint, recognizer: BitsAndBytesRecognizer())
    }

    /// Loads `path` as an MPT model and, when `adapter` is given, merges that peft LoRA adapter
    /// directory into it (lazily: each merged weight is computed when it is read).
    public static func model(at path: String, mergingLoRA adapter: String?) throws -> MPTModel {
        let model = try model(at: path)
        guard let adapter else { return model }
        return try model.mergingLoRA(try PeftAdapter.open(adapter))
    }
}
