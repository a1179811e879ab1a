import MPTFormats
import MPTGraph

extension GGUFExport {
    /// The output tensors and their types; refuses what llama.cpp cannot represent, a type this
    /// build cannot encode, and (without `plan.allowRequantize`) re-quantizing quantized input.
    public static func tensors(model: MPTModel, plan: OutputPlan) throws -> [PlannedTensor] {
        let planned = try layout(model: model, plan: plan)
        for item in planned { try checkEncodable(item, source: try model.source(item.tensor), plan: plan) }
        return planned
    }

    /// The output tensors and the types llama.cpp's rules give them, whether or not this build
    /// can encode those types.
    public static func layout(model: MPTModel, plan: OutputPlan) throws -> [PlannedTensor] {
        try model.config.checkRepresentableInGGUF()
        let dtype = plan.storageDType(for: model)
        _ = try GGUFTensorTypes.fileType(quant: plan.quant, dtype: dtype)
        let inputs = try model.orderedTensors.map { tensor in
            let source = try model.source(tensor)
            let name = GGUFNaming.ggufName(for: tensor)
            return (tensor: tensor, name: name, shape: source.shape, kept: keptType(tensor, source: source, model: model, dtype: dtype, quant: plan.quant))
        }
        let decisions = try GGUFTensorTypes.decisions(
            for: inputs, layerCount: model.config.nLayers, quant: plan.quant, hasImatrix: plan.imatrix != nil)
        return zip(inputs, decisions).map { input, decision in
            PlannedTensor(tensor: input.tensor, name: input.name, shape: input.shape, type: decision.type,
                          fallbackFrom: decision.fallbackFrom)
        }
    }

    /// The type a tensor keeps when the mix does not quantize it: in a quantized file made from a
    /// GGUF input, its own stored type (F32/F16/BF16, or a block type: llama-quantize copies it);
    /// otherwise the converter's unquantized type.
    static func keptType(_ tensor: CanonicalTensor, source: TensorSource, model: MPTModel, dtype: TargetDType,
                         quant: QuantScheme) -> GGMLType {
        if model.flavour == .gguf, quant.llamaFileType != nil {
            if case let .dense(view) = source, let type = GGMLType(denseDType: view.dtype),
               type == .f32 || type == .f16 || type == .bf16 {
                return type
            }
            if let type = storedGGMLType(source) { return type }
        }
        return GGUFTensorTypes.unquantizedType(for: tensor, shape: source.shape, dtype: dtype)
    }

    /// The ggml type of a block-quantized GGUF source, nil for any other source.
    static func storedGGMLType(_ source: TensorSource) -> GGMLType? {
        guard case let .quantized(tensor) = source else { return nil }
        return GGMLType.allCases.first { $0.description == tensor.format }
    }

    /// Whether `planned` can be written from `source`: a quantized source of the same type is
    /// copied; otherwise the type needs an encoder, and a quantized source needs
    /// `allowRequantize` and a decoder.
    static func checkEncodable(_ planned: PlannedTensor, source: TensorSource, plan: OutputPlan) throws {
        if case .merged = source { try Dequantizer.requireUnquantized(source, name: planned.tensor.name) }
        if case let .quantized(stored) = source {
            if stored.format == planned.type.description { return }
            guard plan.allowRequantize else {
                throw GGUFExportError.requantize(tensor: planned.name, from: stored.format, to: planned.type)
            }
            if let type = storedGGMLType(source), !GGMLQuantizer.supports(type) {
                throw GGUFExportError.noDecoder(tensor: planned.name, type: stored.format)
            }
        }
        guard GGMLQuantizer.canEncode(planned.type) else { throw GGUFExportError.noEncoder(tensor: planned.name, type: planned.type) }
    }
}
