import MPTFormats
import MPTGraph

/// The ggml type of every tensor in an `mpt` GGUF file, following llama.cpp's rules:
///
/// * `convert_hf_to_gguf.py`: 1-D tensors, `*_norm.weight`, biases and `position_embd` stay F32;
///   every other weight (token embedding and output head included) takes the output type.
/// * `llama-quantize` for Q4_0: the output head — or the token embedding when the head is tied
///   to it — gets Q6_K; MPTKit has no Q6_K encoder and writes Q8_0, the type llama-quantize
///   itself falls back to for Q6_K. Other weights take Q4_0.
/// * A quantized type whose block (32) does not divide the row length falls back to F16.
public enum GGUFTensorTypes {
    /// llama.cpp's `general.file_type` (`LlamaFileType`) for quantization `quant` with storage
    /// dtype `dtype`.
    public static func fileType(quant: QuantScheme, dtype: TargetDType) throws -> UInt32 {
        switch quant {
        case .none:
            switch dtype {
            case .f32: return 0
            case .f16: return 1
            case .bf16: return 32
            }
        case .q4_0: return 2
        case .q8_0: return 7
        case .int8, .nf4: throw GGUFExportError.unsupportedQuantization(quant.rawValue)
        }
    }

    /// The type written for `tensor` with row-major `shape` in a model with `config`, for
    /// quantization `quant` and storage dtype `dtype`.
    public static func type(for tensor: CanonicalTensor, shape: [Int], config: MPTConfig, quant: QuantScheme,
                            dtype: TargetDType) throws -> GGMLType {
        if shape.count <= 1 || tensor == .positionEmbedding { return .f32 }
        if case let .block(_, kind, part) = tensor, part == .bias || kind.isNorm { return .f32 }
        if case .finalNorm = tensor { return .f32 }
        let wanted: GGMLType
        switch quant {
        case .none:
            switch dtype {
            case .f32: return .f32
            case .f16: return .f16
            case .bf16: return .bf16
            }
        case .q8_0:
            wanted = .q8_0
        case .q4_0:
            let isHead = tensor == .lmHead || (tensor == .tokenEmbedding && config.tiedEmbeddings)
            wanted = isHead ? .q8_0 : .q4_0
        case .int8, .nf4:
            throw GGUFExportError.unsupportedQuantization(quant.rawValue)
        }
        let rowLength = shape.last ?? 1
        return rowLength % wanted.blockSize == 0 ? wanted : .f16
    }
}
