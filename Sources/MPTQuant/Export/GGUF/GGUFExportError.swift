import MPTFormats

/// Why a model cannot be written as a llama.cpp `mpt` GGUF file.
public enum GGUFExportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A model option that llama.cpp's MPT graph does not implement; writing the file anyway
    /// would make llama.cpp compute different logits without any warning.
    case unrepresentable(option: String, reason: String)
    /// The tokenizer cannot be expressed with llama.cpp's tokenizer metadata.
    case unsupportedTokenizer(String)
    /// The requested quantization is not a GGUF one.
    case unsupportedQuantization(String)
    /// A weight is not laid out contiguously.
    case nonContiguous(tensor: String)
    /// The mix gives `tensor` a ggml type this build has no encoder for (yet).
    case noEncoder(tensor: String, type: GGMLType)
    /// `tensor` is stored block-quantized as `from` and would become `to`; llama-quantize refuses
    /// that without `--allow-requantize`.
    case requantize(tensor: String, from: String, to: GGMLType)
    /// `tensor` is stored in a quantized type this build cannot decode.
    case noDecoder(tensor: String, type: String)

    /// `tensor` takes a type that needs an importance matrix (IQ3_XXS) and the imatrix has no
    /// entry for it (llama-quantize: "Missing importance matrix for tensor … in a very low-bit
    /// quantization").
    case missingImportance(tensor: String, type: GGMLType)

    /// A split output would need more parts than `split.count` (UINT16) can number.
    case tooManyParts(Int)

    public var description: String {
        switch self {
        case let .unrepresentable(option, reason):
            return "cannot write \(option) to GGUF: \(reason)"
        case let .unsupportedTokenizer(why):
            return "cannot write the tokenizer to GGUF: \(why)"
        case let .unsupportedQuantization(what):
            return "GGUF output takes none or a llama-quantize file type (\(LlamaFileType.nameList)), not \(what)"
        case let .nonContiguous(tensor):
            return "tensor '\(tensor)' is not stored contiguously"
        case let .noEncoder(tensor, type):
            return "tensor '\(tensor)' takes ggml type \(type), which has no encoder in this build of MPTKit"
        case let .requantize(tensor, from, to):
            return "tensor '\(tensor)' is already quantized (\(from)); re-quantizing it to \(to) is refused, as llama-quantize does"
        case let .noDecoder(tensor, type):
            return "tensor '\(tensor)' is stored as \(type), which MPTKit cannot decode"
        case let .missingImportance(tensor, type):
            return "the imatrix has no entry for tensor '\(tensor)', which takes \(type): that type needs one, as in llama-quantize"
        case let .tooManyParts(count):
            return "the output would be split into \(count) parts, more than split.count can number (65535): use a larger shard size"
        }
    }
}
