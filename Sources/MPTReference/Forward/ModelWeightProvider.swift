import MPTCore
import MPTGraph
import MPTQuant

/// Supplies the forward pass from a validated `MPTModel`: `matrix` hands out each weight as stored
/// in the mapped file (dense in any float dtype, or quantized) for the kernels to read in place;
/// `floats` decodes it (and releases the mapped pages behind it). A weight holding NaN or
/// ±infinity throws `NonFiniteWeight` (from `floats`, or from the kernels reading the matrix).
public struct ModelWeightProvider: WeightProvider {
    /// The model whose weights are served.
    public let model: MPTModel

    public init(model: MPTModel) { self.model = model }

    public func floats(_ tensor: CanonicalTensor) throws -> [Float] {
        let values = try Dequantizer.floats(try model.source(tensor))
        try NonFiniteWeight.check(values, tensor: tensor)
        return values
    }

    public func matrix(_ tensor: CanonicalTensor, rows: Int, columns: Int) throws -> StoredMatrix {
        try storedMatrix(try model.source(tensor), tensor, rows: rows, columns: columns)
    }
}
