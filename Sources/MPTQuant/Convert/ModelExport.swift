import MPTCore
import MPTFormats
import MPTGraph

/// Builds the output tensors of a converted model from its graph, under canonical names.
public enum ModelExport {
    /// Blocks' linear weights — the tensors that quantization applies to (transformers + bitsandbytes
    /// quantize every `nn.Linear` except the output head).
    public static func isQuantizable(_ tensor: CanonicalTensor) -> Bool {
        guard case let .block(_, kind, .weight) = tensor else { return false }
        return kind == .wqkv || kind == .outProj || kind == .upProj || kind == .downProj
    }

    /// Output tensors for an unquantized safetensors conversion with `options` (dtype casts).
    public static func safetensorsTensors(model: MPTModel, options: ConversionOptions) throws -> [OutputTensor] {
        var outputs: [OutputTensor] = []
        for tensor in model.orderedTensors {
            let source = try model.source(tensor)
            guard case let .dense(view) = source else {
                throw ConversionError.unsupported("tensor '\(tensor.name)' is already quantized (\(source.typeName)); convert from an unquantized checkpoint")
            }
            outputs.append(try DTypeCast.tensor(name: tensor.name, view: view, target: options.dtype.dtype, allowNonfinite: options.allowNonfinite))
        }
        return outputs
    }
}
