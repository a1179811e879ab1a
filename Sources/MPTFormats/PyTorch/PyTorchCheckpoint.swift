import MPTCore

/// Placeholder until the zip+pickle reader lands: PyTorch checkpoints are recognised but not read.
public enum PyTorchCheckpoint {
    /// Reads one PyTorch `.bin` file.
    public static func read(path: String) throws -> TensorCollection {
        throw FormatError.unrecognized("PyTorch .bin checkpoints are not supported yet")
    }
}
