import MPTCore
import MPTGraph
import MPTQuant

/// Supplies the forward pass from a validated `MPTModel`, decoding each weight (dense in any float
/// dtype, or quantized) only when it is asked for, and releasing the mapped pages behind it. A
/// weight holding NaN or ±infinity throws `NonFiniteWeight`.
public struct ModelWeightProvider: WeightProvider {
    /// The model whose weights are served.
    public let model: MPTModel

    public init(model: MPTModel) { self.model = model }

    public func floats(_ tensor: CanonicalTensor) throws -> [Float] {
        let values = try Dequantizer.floats(try model.source(tensor))
        try NonFiniteWeight.check(values, tensor: tensor)
        return values
    }
}
