import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// Supplies one weight tensor at a time to `MPTForward`.
///
/// `floats` returns the tensor's elements row-major as `Float`, `tensor.expectedShape(config)`
/// elements long (the forward pass checks the count); the `Double` path and the small vectors
/// (LayerNorm weights, biases) use it. `matrix` hands out a 2-D weight for the `Float` kernels
/// to read in place (`StoredMatrix`); the default decodes `floats` into one, and the providers
/// over files return the stored bytes themselves, so no weight is copied or decoded whole.
/// Both are called when the tensor is needed and dropped when its step is done.
public protocol WeightProvider: Sendable {
    /// The elements of `tensor`, row-major, checked to be finite (`NonFiniteWeight`).
    func floats(_ tensor: CanonicalTensor) throws -> [Float]
    /// `tensor` as a `[rows × columns]` matrix (its elements row-major), not yet checked for
    /// non-finite values (the kernels do that as they read it). Throws
    /// `ReferenceError.weightSize` when the element count differs.
    func matrix(_ tensor: CanonicalTensor, rows: Int, columns: Int) throws -> StoredMatrix
}

extension WeightProvider {
    /// The decoded values of `floats` in a matrix.
    public func matrix(_ tensor: CanonicalTensor, rows: Int, columns: Int) throws -> StoredMatrix {
        let values = try floats(tensor)
        guard values.count == rows &* columns else {
            throw ReferenceError.weightSize(tensor: tensor.name, expected: rows &* columns, actual: values.count)
        }
        return try StoredMatrix.owning(values, rows: rows, columns: columns)
    }

    /// `StoredMatrix(source, rows:columns:)` with a count mismatch reported as `weightSize`.
    func storedMatrix(_ source: TensorSource, _ tensor: CanonicalTensor, rows: Int, columns: Int) throws -> StoredMatrix {
        do {
            return try StoredMatrix(source, rows: rows, columns: columns)
        } catch let StoredMatrix.Failure.elementCount(expected, actual) {
            throw ReferenceError.weightSize(tensor: tensor.name, expected: expected, actual: actual)
        }
    }
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

    public func matrix(_ tensor: CanonicalTensor, rows: Int, columns: Int) throws -> StoredMatrix {
        let key = name(tensor)
        guard let view = collection[key] else { throw ReferenceError.missingTensor(key) }
        return try storedMatrix(.dense(view), tensor, rows: rows, columns: columns)
    }
}
