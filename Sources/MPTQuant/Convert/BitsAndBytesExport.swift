import MPTCore
import MPTFormats
import MPTGraph

/// Writes a model as transformers + bitsandbytes serialize a 4-bit (NF4) or 8-bit (LLM.int8)
/// quantized checkpoint: every block linear weight quantized, embeddings and norms in the chosen
/// dtype, components named `<module>.weight`, `<module>.weight.absmax`, … (see Formats/bitsandbytes.md).
public enum BitsAndBytesExport {
    /// The `quantization_config` block transformers writes into config.json.
    public static func quantizationConfig(_ options: ConversionOptions) -> JSONValue {
        let fourBit = options.quant == .nf4
        return .object([
            ("quant_method", .string("bitsandbytes")),
            ("_load_in_8bit", .bool(!fourBit)),
            ("_load_in_4bit", .bool(fourBit)),
            ("llm_int8_threshold", .double(6.0)),
            ("llm_int8_skip_modules", .null),
            ("llm_int8_enable_fp32_cpu_offload", .bool(false)),
            ("llm_int8_has_fp16_weight", .bool(false)),
            ("bnb_4bit_quant_type", .string(fourBit ? "nf4" : "fp4")),
            ("bnb_4bit_use_double_quant", .bool(fourBit && options.doubleQuant)),
            ("bnb_4bit_compute_dtype", .string(fourBit ? options.dtype.torchName : "float32")),
            ("bnb_4bit_quant_storage", .string("uint8")),
            ("load_in_4bit", .bool(fourBit)),
            ("load_in_8bit", .bool(!fourBit)),
        ])
    }

    /// Every tensor name `write` may produce for `model` (all of a module's optional components
    /// included), for reserving the header.
    public static func outputNames(model: MPTModel, options: ConversionOptions) -> [String] {
        let nf4Components = ["weight", "weight.absmax", "weight.quant_map", "weight.nested_absmax",
                             "weight.nested_quant_map", BitsAndBytesNF4.quantStateName]
        let int8Components = ["weight", "SCB", "weight_format"]
        return model.orderedTensors.flatMap { tensor -> [String] in
            guard ModelExport.isQuantizable(tensor) else { return [tensor.name] }
            let module = String(tensor.name.dropLast(".weight".count))
            return (options.quant == .nf4 ? nf4Components : int8Components).map { module + "." + $0 }
        }
    }

    /// Streams every tensor of `model` into `writer`, one weight at a time, in model order.
    public static func write(model: MPTModel, options: ConversionOptions, into writer: DeferredSafetensorsWriter, progress: (String) -> Void = { _ in }) throws {
        for tensor in model.orderedTensors {
            let source = try model.source(tensor)
            try Dequantizer.requireUnquantized(source, name: tensor.name)
            progress(tensor.name)
            guard ModelExport.isQuantizable(tensor) else {
                try writer.append(try DTypeCast.tensor(name: tensor.name, source: source, target: options.dtype.dtype, allowNonfinite: options.allowNonfinite))
                continue
            }
            // LoRA merges happen in float32 inside `Dequantizer.floats`, before this rounding.
            // transformers quantizes the weight as loaded in the compute dtype: round to it first.
            let decoded = try WeightDecoding.decode(source, roundedTo: options.dtype.dtype, threads: options.threads)
            if !options.allowNonfinite, decoded.nonFinite > 0 {
                throw ConversionError.nonFinite(tensor: tensor.name, count: decoded.nonFinite)
            }
            let values = decoded.values
            let module = String(tensor.name.dropLast(".weight".count))
            let components: [BitsAndBytesComponent]
            switch options.quant {
            case .nf4:
                let nf4 = NF4Options(blocksize: options.blocksize, doubleQuantization: options.doubleQuant,
                                     sourceDType: options.dtype.dtype, threadCount: options.threads)
                components = BitsAndBytesNF4.components(of: try BitsAndBytesNF4.quantize(values, shape: source.shape, options: nf4))
            case .int8:
                let dims = source.shape
                components = BitsAndBytesInt8.components(of: try BitsAndBytesInt8.quantize(
                    values, rows: dims[0], columns: dims.count > 1 ? dims[1] : 1, threadCount: options.threads))
            default:
                throw ConversionError.unsupported("--quant \(options.quant.rawValue) is not a bitsandbytes format")
            }
            for component in components {
                try writer.append(name: module + "." + component.name, dtype: component.dtype,
                                  shape: try Shape(checking: component.shape), bytes: component.bytes)
            }
        }
    }
}
