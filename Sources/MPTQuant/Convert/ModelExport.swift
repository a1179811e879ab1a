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

    /// Output tensors for an unquantized safetensors conversion with `options` (dtype casts; LoRA
    /// merges are computed in float32 before the cast, each when the writer reaches it).
    public static func safetensorsTensors(model: MPTModel, options: ConversionOptions) throws -> [OutputTensor] {
        var outputs: [OutputTensor] = []
        for tensor in model.orderedTensors {
            outputs.append(try DTypeCast.tensor(name: tensor.name, source: try model.source(tensor), target: options.dtype.dtype,
                                                allowNonfinite: options.allowNonfinite, threads: options.threads))
        }
        return outputs
    }
}
