import MPTFormats
import MPTGraph

/// The ggml type of every tensor in an `mpt` GGUF file, following llama.cpp:
///
/// * Unquantized files (`--quant none`), as `convert_hf_to_gguf.py`: 1-D tensors, `*_norm.weight`,
///   biases and `position_embd` stay F32; every other weight takes the storage dtype.
/// * Quantized files, as `llama-quantize` of such a file: `LlamaQuantMix` picks each quantizable
///   tensor's type for the file type (head Q6_K, `_M` mixes' more-bits layers, row-length
///   fallbacks…); the tensors it leaves alone keep their unquantized type.
public enum GGUFTensorTypes {
    /// One tensor's decision.
    public struct Decision: Sendable, Equatable {
        /// The type written.
        public var type: GGMLType
        /// The type the mix wanted when the row length made llama-quantize fall back to `type`.
        public var fallbackFrom: GGMLType?
    }

    /// llama.cpp's `general.file_type` (`llama_ftype`) for quantization `quant` with storage
    /// dtype `dtype`.
    public static func fileType(quant: QuantScheme, dtype: TargetDType) throws -> UInt32 {
        if let mix = quant.llamaFileType { return mix.number }
        guard quant == .none else { throw GGUFExportError.unsupportedQuantization(quant.rawValue) }
        switch dtype {
        case .f32: return 0
        case .f16: return 1
        case .bf16: return 32
        }
    }

    /// The type of `tensor` with row-major `shape` in an unquantized file of storage `dtype`.
    public static func unquantizedType(for tensor: CanonicalTensor, shape: [Int], dtype: TargetDType) -> GGMLType {
        if shape.count <= 1 || tensor == .positionEmbedding { return .f32 }
        if case .finalNorm = tensor { return .f32 }
        if case let .block(_, kind, part) = tensor, part == .bias || kind.isNorm { return .f32 }
        switch dtype {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }

    /// The decisions for `tensors` (canonical tensor, GGUF name, row-major shape, and the type a
    /// tensor that is not quantized keeps) of a model with `layerCount` blocks; `hasImatrix` as
    /// llama-quantize's `--imatrix` (it changes some `ffn_down` types).
    public static func decisions(
        for tensors: [(tensor: CanonicalTensor, name: String, shape: [Int], kept: GGMLType)],
        layerCount: Int, quant: QuantScheme, hasImatrix: Bool = false
    ) throws -> [Decision] {
        guard let mix = quant.llamaFileType else {
            guard quant == .none else { throw GGUFExportError.unsupportedQuantization(quant.rawValue) }
            return tensors.map { Decision(type: $0.kept, fallbackFrom: nil) }
        }
        let choices = LlamaQuantMix.plan(fileType: mix, tensors: tensors.map { LlamaQuantMix.Tensor(name: $0.name, shape: $0.shape) },
                                         layerCount: layerCount, hasImatrix: hasImatrix)
        return zip(tensors, choices).map { tensor, choice in
            Decision(type: choice.type ?? tensor.kept, fallbackFrom: choice.fallbackFrom)
        }
    }
}
