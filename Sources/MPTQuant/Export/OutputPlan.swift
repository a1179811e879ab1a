import MPTGraph

/// Everything about a conversion's output, decided once before the model is read: container
/// format, storage dtype, quantization, NF4 settings, sharding, LoRA merge, durability. A plan
/// that exists is valid — `init` refuses every format/quantization combination the exporters
/// cannot write — so a bad combination is reported before any weights are loaded.
public struct OutputPlan: Sendable, Equatable {
    /// Container format of the output.
    public var format: OutputFormat
    /// Storage dtype of unquantized tensors.
    public var dtype: DTypeChoice
    /// Quantization of the blocks' linear weights.
    public var quant: QuantScheme
    /// NF4 block size and double quantization (used when `quant` is `.nf4`).
    public var nf4: NF4Settings
    /// Largest shard in bytes (`nil`: one file). Safetensors only.
    public var shardSize: Int?
    /// A peft LoRA adapter directory merged into the weights (in float32, before any cast or
    /// quantization), or `nil`.
    public var loraAdapter: String?
    /// Whether every output file is fsync'ed before it is renamed into place.
    public var durability: Durability
    /// Keep NaN/Inf weights (and values that overflow the output dtype) instead of failing.
    public var allowNonfinite: Bool
    /// Re-quantize weights that are already block-quantized (GGUF output), as llama-quantize's
    /// `--allow-requantize`; without it such an input is refused.
    public var allowRequantize: Bool
    /// Worker threads.
    public var threads: Int
    /// Replace an existing output.
    public var replaceExisting: Bool
    /// An importance-matrix file (llama-imatrix's GGUF or legacy `.dat` form) whose per-column
    /// importance the quantizers use, as `llama-quantize --imatrix`; GGUF quantized output only.
    public var imatrix: String?

    /// Builds and checks a plan; throws `OutputPlanError` for a combination that cannot be written.
    public init(format: OutputFormat = .safetensors, dtype: DTypeChoice = .inputs, quant: QuantScheme = .none,
                nf4: NF4Settings = NF4Settings(), shardSize: Int? = nil, loraAdapter: String? = nil,
                durability: Durability = .durable, allowNonfinite: Bool = false, allowRequantize: Bool = false,
                threads: Int = 2, replaceExisting: Bool = false, imatrix: String? = nil) throws {
        self.format = format
        self.dtype = dtype
        self.quant = quant
        self.nf4 = nf4
        self.shardSize = shardSize
        self.loraAdapter = loraAdapter
        self.durability = durability
        self.allowNonfinite = allowNonfinite
        self.allowRequantize = allowRequantize
        self.threads = threads
        self.replaceExisting = replaceExisting
        self.imatrix = imatrix
        try check()
    }

    /// The format an output path implies when none is given: GGUF for a `.gguf` file, else a
    /// safetensors model directory.
    public static func impliedFormat(forOutput path: String) -> OutputFormat {
        path.hasSuffix(".gguf") ? .gguf : .safetensors
    }

    /// Whether the files are fsync'ed before being renamed into place.
    public var isDurable: Bool { durability == .durable }

    /// The storage dtype of unquantized tensors for `model` (`.inputs` resolved from its weights).
    public func storageDType(for model: MPTModel) -> TargetDType { dtype.resolved(for: model) }

    private func check() throws {
        guard threads >= 1 else { throw OutputPlanError.threads(threads) }
        guard NF4Settings.blocksizes.contains(nf4.blocksize), nf4.blocksize & (nf4.blocksize - 1) == 0 else {
            throw OutputPlanError.nf4Blocksize(nf4.blocksize)
        }
        if let shardSize, shardSize <= 0 { throw OutputPlanError.shardSize(shardSize) }
        switch format {
        case .safetensors where quant.llamaFileType != nil, .gguf where quant.isBitsAndBytes:
            throw OutputPlanError.quantization(quant, format: format)
        case .safetensors, .gguf:
            break
        }
        if imatrix != nil, format != .gguf || quant.llamaFileType == nil { throw OutputPlanError.imatrix(quant, format: format) }
        if imatrix == nil, quant.llamaFileType?.requiresImatrix == true { throw OutputPlanError.imatrixRequired(quant) }
    }
}

/// Output container formats.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// A Hugging Face–style model directory (config.json + safetensors weights).
    case safetensors
    /// One llama.cpp GGUF file.
    case gguf
}

/// How the storage dtype of unquantized tensors is chosen.
public enum DTypeChoice: Sendable, Equatable {
    /// The dtype of the input's weights (its token embedding: f16 and bf16 stay, anything else is f32).
    case inputs
    /// A fixed dtype.
    case fixed(TargetDType)

    /// The concrete dtype for `model`.
    public func resolved(for model: MPTModel) -> TargetDType {
        switch self {
        case let .fixed(dtype): return dtype
        case .inputs:
            guard case let .dense(view)? = model.tensors[.tokenEmbedding] else { return .f32 }
            switch view.dtype {
            case .f16: return .f16
            case .bf16: return .bf16
            default: return .f32
            }
        }
    }
}

/// NF4 settings (bitsandbytes `blocksize` and `compress_statistics`).
public struct NF4Settings: Sendable, Equatable {
    /// Accepted block sizes (powers of two in this range).
    public static let blocksizes = 64...4096
    /// Values per absmax block.
    public var blocksize: Int
    /// Double quantization of the block scales (QLoRA default).
    public var doubleQuant: Bool

    public init(blocksize: Int = 64, doubleQuant: Bool = true) {
        self.blocksize = blocksize
        self.doubleQuant = doubleQuant
    }
}

/// Whether output files are fsync'ed before they are renamed into place.
public enum Durability: Sendable, Equatable {
    /// fsync each file (and its directory): a crash right after the tool returns keeps the output.
    case durable
    /// Skip the fsyncs (scratch outputs: faster, a crash may lose the result).
    case unsynced
}
