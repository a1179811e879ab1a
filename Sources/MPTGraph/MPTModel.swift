import MPTCore
import MPTFormats

/// One validated MPT model: normalized config, the naming scheme found, and a lazy view of every
/// canonical weight (views into the checkpoint's mapped files, never copies).
public struct MPTModel: Sendable {
    /// Normalized hyper-parameters.
    public var config: MPTConfig
    /// The config dialect found.
    public var flavour: ConfigFlavour
    /// The tensor naming scheme found.
    public var scheme: NamingScheme
    /// Every canonical tensor's source.
    public var tensors: [CanonicalTensor: TensorSource]
    /// The file name each canonical tensor came from.
    public var sourceNames: [CanonicalTensor: String]
    /// The checkpoint the model was read from.
    public var checkpoint: Checkpoint
    /// Tensors present in the file that the model does not use, with the reason (e.g. a tied
    /// `lm_head.weight` copy).
    public var ignored: [(name: String, reason: String)]

    /// The source of `tensor`, or `missingTensor`.
    public func source(_ tensor: CanonicalTensor) throws -> TensorSource {
        guard let source = tensors[tensor] else { throw GraphError.missingTensor(tensor.name) }
        return source
    }

    /// Canonical tensors in model order.
    public var orderedTensors: [CanonicalTensor] { CanonicalTensor.all(for: config) }
}
