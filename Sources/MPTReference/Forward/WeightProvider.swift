import MPTCore
import MPTFormats
import MPTGraph

/// Supplies one weight tensor at a time to `MPTForward`.
///
/// `floats` returns the tensor's elements row-major as `Float`, `tensor.expectedShape(config)`
/// elements long (the forward pass checks the count). It is called when the tensor is needed and
/// the result is dropped when its block finishes, so an implementation that reads lazily (from a
/// memory map) keeps peak memory to about one block plus the embedding.
public protocol WeightProvider: Sendable {
    /// The elements of `tensor`, row-major.
    func floats(_ tensor: CanonicalTensor) throws -> [Float]
}

/// Reads weights from a `TensorCollection` whose names are produced by `name` (the canonical
/// Hugging Face names by default), converting any float dtype to `Float`. A weight holding NaN or
/// ±infinity throws `NonFiniteWeight`.
public struct CollectionWeightProvider: WeightProvider {
    /// The tensors.
    public let collection: TensorCollection
    /// Maps a canonical tensor to the collection's name for it.
    public let name: @Sendable (CanonicalTensor) -> String

    public init(collection: TensorCollection, name: @escaping @Sendable (CanonicalTensor) -> String = { $0.name }) {
        self.collection = collection
        self.name = name
    }

    public func floats(_ tensor: CanonicalTensor) throws -> [Float] {
        let key = name(tensor)
        guard let view = collection[key] else { throw ReferenceError.missingTensor(key) }
        let values = try view.floats()
        try NonFiniteWeight.check(values, tensor: tensor)
        return values
    }
}
