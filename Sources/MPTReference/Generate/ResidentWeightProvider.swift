import MPTGraph

/// Holds every weight of a model decoded to `Float` in memory, for generation, where all blocks
/// run once per new token: decoding them once costs `4 bytes × parameters` of memory instead of
/// re-reading and re-dequantizing every tensor at every step.
public struct ResidentWeightProvider: WeightProvider {
    private let tensors: [CanonicalTensor: [Float]]

    /// Decodes `tensors` from `source` now.
    public init(loading tensors: [CanonicalTensor], from source: any WeightProvider) throws {
        var decoded: [CanonicalTensor: [Float]] = [:]
        for tensor in tensors { decoded[tensor] = try source.floats(tensor) }
        self.tensors = decoded
    }

    /// Bytes held.
    public var byteCount: Int { tensors.values.reduce(0) { $0 + $1.count * MemoryLayout<Float>.stride } }

    public func floats(_ tensor: CanonicalTensor) throws -> [Float] {
        guard let values = tensors[tensor] else { throw ReferenceError.missingTensor(tensor.name) }
        return values
    }
}
