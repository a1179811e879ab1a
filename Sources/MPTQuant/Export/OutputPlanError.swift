/// Why an `OutputPlan` cannot be built. The messages speak of the output, not of command-line
/// flags; the tools add their own wording.
public enum OutputPlanError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A quantization the format cannot hold (the llama-quantize file types are GGUF; int8/NF4
    /// are bitsandbytes safetensors layouts).
    case quantization(QuantScheme, format: OutputFormat)
    /// An NF4 block size outside 64…4096 or not a power of two.
    case nf4Blocksize(Int)
    /// A shard size that is not positive.
    case shardSize(Int)
    /// A thread count below 1.
    case threads(Int)
    /// An importance matrix for an output that is not a quantized GGUF file.
    case imatrix(QuantScheme, format: OutputFormat)
    /// A file type that llama-quantize refuses without an importance matrix (IQ3_XXS).
    case imatrixRequired(QuantScheme)

    public var description: String {
        switch self {
        case let .quantization(quant, format):
            let home = quant.llamaFileType != nil ? "GGUF" : "safetensors (bitsandbytes layout)"
            return "\(quant.rawValue) quantization is written as \(home), not \(format.rawValue)"
        case let .nf4Blocksize(size):
            return "NF4 block size \(size) is not a power of two from \(NF4Settings.blocksizes.lowerBound) to \(NF4Settings.blocksizes.upperBound)"
        case let .shardSize(size):
            return "shard size \(size) is not positive"
        case let .threads(count):
            return "\(count) worker threads: need at least 1"
        case let .imatrixRequired(quant):
            return "\(quant.rawValue) quantization needs an importance matrix, as llama-quantize does"
        case let .imatrix(quant, format):
            return "an importance matrix applies to quantized GGUF output (a llama-quantize file type), not \(format.rawValue) with quantization \(quant.rawValue)"
        }
    }
}
