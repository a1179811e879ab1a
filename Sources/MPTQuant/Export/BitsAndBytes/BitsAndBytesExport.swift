import MPTCore
import MPTFormats
import MPTGraph

/// Writes a model as transformers + bitsandbytes serialize a 4-bit (NF4) or 8-bit (LLM.int8)
/// quantized checkpoint: every block linear weight quantized, embeddings and norms in the chosen
/// dtype, components named `<module>.weight`, `<module>.weight.absmax`, … (see Formats/bitsandbytes.md).
public enum BitsAndBytesExport {
    /// Writes `model` into the model directory `output`, quantized as `plan.quant` (`.nf4` or
    /// `.int8`) says, with the matching `quantization_config` in config.json.
    /// - Returns: the files written.
    @discardableResult
    public static func writeDirectory(
        model: MPTModel, plan: OutputPlan, to output: String, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> [String] {
        let extra = [(key: "quantization_config", value: quantizationConfig(plan, dtype: plan.storageDType(for: model)))]
        return try ModelDirectoryExport.write(model: model, plan: plan, to: output, configExtra: extra) { temporaryDirectory in
            let writer = DeferredSafetensorsWriter(
                directory: temporaryDirectory, shardSize: plan.shardSize,
                headerReserve: DeferredSafetensorsWriter.reserve(forNames: outputNames(model: model, plan: plan)),
                durable: plan.isDurable)
            try attributing(to: model.checkpoint.path) {
                try write(model: model, plan: plan, into: writer, progress: progress)
            }
            return try attributing(to: output) { try writer.finish() }
        }
    }

    /// The `quantization_config` block transformers writes into config.json, for storage `dtype`.
    public static func quantizationConfig(_ plan: OutputPlan, dtype: TargetDType) -> JSONValue {
        let fourBit = plan.quant == .nf4
        return .object([
            ("quant_method", .string("bitsandbytes")),
            ("_load_in_8bit", .bool(!fourBit)),
            ("_load_in_4bit", .bool(fourBit)),
            ("llm_int8_threshold", .double(6.0)),
            ("llm_int8_skip_modules", .null),
            ("llm_int8_enable_fp32_cpu_offload", .bool(false)),
            ("llm_int8_has_fp16_weight", .bool(false)),
            ("bnb_4bit_quant_type", .string(fourBit ? "nf4" : "fp4")),
            ("bnb_4bit_use_double_quant", .bool(fourBit && plan.nf4.doubleQuant)),
            ("bnb_4bit_compute_dtype", .string(fourBit ? dtype.torchName : "float32")),
            ("bnb_4bit_quant_storage", .string("uint8")),
            ("load_in_4bit", .bool(fourBit)),
            ("load_in_8bit", .bool(!fourBit)),
        ])
    }

    /// Every tensor name `write` may produce for `model` (all of a module's optional components
    /// included), for reserving the header.
    public static func outputNames(model: MPTModel, plan: OutputPlan) -> [String] {
        let nf4Components = ["weight", "weight.absmax", "weight.quant_map", "weight.nested_absmax",
                             "weight.nested_quant_map", BitsAndBytesNF4.quantStateName]
        let int8Components = ["weight", "SCB", "weight_format"]
        return model.orderedTensors.flatMap { tensor -> [String] in
            guard ModelExport.isQuantizable(tensor) else { return [tensor.name] }
            let module = String(tensor.name.dropLast(".weight".count))
            return (plan.quant == .nf4 ? nf4Components : int8Components).map { module + "." + $0 }
        }
    }

    /// Streams every tensor of `model` into `writer`, one weight at a time, in model order.
    public static func write(model: MPTModel, plan: OutputPlan, into writer: DeferredSafetensorsWriter, progress: (String) -> Void = { _ in }) throws {
        let dtype = plan.storageDType(for: model).dtype
        for tensor in model.orderedTensors {
            let source = try model.source(tensor)
            try Dequantizer.requireUnquantized(source, name: tensor.name)
            progress(tensor.name)
            guard ModelExport.isQuantizable(tensor) else {
                try writer.append(try DTypeCast.tensor(name: tensor.name, source: source, target: dtype, allowNonfinite: plan.allowNonfinite))
                continue
            }
            let module = String(tensor.name.dropLast(".weight".count))
            // A dense matrix is decoded and quantized piece by piece (same bytes, bounded memory).
            if let view = WeightDecoding.rowDecodable(source), plan.quant == .nf4 || plan.quant == .int8 {
                let components = plan.quant == .nf4
                    ? BitsAndBytesNF4.components(of: try BitsAndBytesStreaming.nf4(
                        view, name: tensor.name, options: nf4Options(plan, dtype: dtype), allowNonfinite: plan.allowNonfinite))
                    : BitsAndBytesInt8.components(of: try BitsAndBytesStreaming.int8(
                        view, name: tensor.name, dtype: dtype, threads: plan.threads, allowNonfinite: plan.allowNonfinite))
                try append(components, module: module, into: writer)
                continue
            }
            // LoRA merges happen in float32 inside `Dequantizer.floats`, before this rounding.
            // transformers quantizes the weight as loaded in the compute dtype: round to it first.
            let decoded = try WeightDecoding.decode(source, roundedTo: dtype, threads: plan.threads)
            if !plan.allowNonfinite, decoded.nonFinite > 0 {
                throw ConversionError.nonFinite(tensor: tensor.name, count: decoded.nonFinite)
            }
            let values = decoded.values
            let components: [BitsAndBytesComponent]
            switch plan.quant {
            case .nf4:
                components = BitsAndBytesNF4.components(of: try BitsAndBytesNF4.quantize(
                    values, shape: source.shape, options: nf4Options(plan, dtype: dtype)))
            case .int8:
                let dims = source.shape
                components = BitsAndBytesInt8.components(of: try BitsAndBytesInt8.quantize(
                    values, rows: dims[0], columns: dims.count > 1 ? dims[1] : 1, threadCount: plan.threads))
            default:
                throw ConversionError.unsupported("\(plan.quant.rawValue) is not a bitsandbytes quantization")
            }
            try append(components, module: module, into: writer)
        }
    }

    /// The NF4 options `plan` asks for, the values rounded to `dtype`.
    private static func nf4Options(_ plan: OutputPlan, dtype: DType) -> NF4Options {
        NF4Options(blocksize: plan.nf4.blocksize, doubleQuantization: plan.nf4.doubleQuant, sourceDType: dtype, threadCount: plan.threads)
    }

    /// Appends a quantized module's components under `module.<component>`.
    private static func append(_ components: [BitsAndBytesComponent], module: String, into writer: DeferredSafetensorsWriter) throws {
        for component in components {
            try writer.append(name: module + "." + component.name, dtype: component.dtype,
                              shape: try Shape(checking: component.shape), bytes: component.bytes)
        }
    }
}
