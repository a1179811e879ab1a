import MPTGraph

/// A weight of the model holds NaN or ±infinity, so no forward pass through it can mean
/// anything. Thrown where weights are decoded for the forward pass (`ModelWeightProvider`,
/// `CollectionWeightProvider`), in the order the forward pass asks for them, so it names the first
/// non-finite tensor the pass meets. The tools report it as bad input (exit 2), not as a failed
/// check: the input model is broken, whatever it is compared with.
public struct NonFiniteWeight: Error, Sendable, Equatable, CustomStringConvertible {
    /// The tensor's canonical name.
    public let tensor: String
    /// Row-major index of its first non-finite element.
    public let element: Int
    /// That element: "nan", "inf" or "-inf".
    public let value: String

    public var description: String {
        "tensor \(tensor) holds a non-finite weight (\(value)) at element \(element)"
    }

    /// Throws for the first non-finite element of `values`, the decoded elements of `tensor`.
    public static func check(_ values: [Float], tensor: CanonicalTensor) throws {
        let index = values.withUnsafeBufferPointer { buffer -> Int? in
            for position in buffer.indices where !buffer[position].isFinite { return position }
            return nil
        }
        guard let index else { return }
        let bad = values[index]
        throw NonFiniteWeight(tensor: tensor.name, element: index, value: bad.isNaN ? "nan" : (bad > 0 ? "inf" : "-inf"))
    }
}

extension NonFiniteWeight {
    /// The finding of a kernel: element `element` of `tensor` is `value` (NaN or ±infinity).
    init(tensor: CanonicalTensor, element: Int, value: Float) {
        self.init(tensor: tensor.name, element: element, value: value.isNaN ? "nan" : (value > 0 ? "inf" : "-inf"))
    }
}
