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
}
