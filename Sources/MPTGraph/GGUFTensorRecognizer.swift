import MPTCore
import MPTFormats

/// Turns the block-quantized tensors of a GGUF checkpoint (whose collection entries are raw
/// bytes) into `QuantizedTensor`s: format = the ggml type name (`Q8_0`, `Q4_0`, …), shape = the
/// row-major dims, component `blocks` = the raw block bytes.
public struct GGUFTensorRecognizer: QuantizedTensorRecognizer {
    /// The parsed file the collection came from.
    public let file: GGUFFile

    public init(file: GGUFFile) { self.file = file }

    public func recognize(_ tensors: TensorCollection, config: JSONValue?) throws -> (weights: [String: QuantizedTensor], consumed: Set<String>) {
        var weights: [String: QuantizedTensor] = [:]
        var consumed = Set<String>()
        for info in file.tensors where info.type.denseDType == nil {
            guard let blocks = tensors[info.name] else { throw GraphError.missingTensor(info.name) }
            weights[info.name] = QuantizedTensor(format: info.type.description, shape: info.rowMajorDims,
                                                 components: ["blocks": blocks], parameters: ["ggml_type": String(info.type.rawValue)])
            consumed.insert(info.name)
        }
        return (weights, consumed)
    }
}
