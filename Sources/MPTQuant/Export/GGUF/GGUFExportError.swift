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

    public var description: String {
        switch self {
        case let .unrepresentable(option, reason):
            return "cannot write \(option) to GGUF: \(reason)"
        case let .unsupportedTokenizer(why):
            return "cannot write the tokenizer to GGUF: \(why)"
        case let .unsupportedQuantization(what):
            return "GGUF output holds unquantized, q8_0 or q4_0 weights, not \(what)"
        case let .nonContiguous(tensor):
            return "tensor '\(tensor)' is not stored contiguously"
        }
    }
}
