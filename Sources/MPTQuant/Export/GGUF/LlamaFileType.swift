import MPTFormats

/// A `llama-quantize` file type (llama.cpp's `llama_ftype`, `LLAMA_FTYPE_MOSTLY_*`): the name
/// given on its command line, the number stored as `general.file_type`, and the default ggml
/// type that `llama_ftype_get_default_type` gives every quantizable tensor before the per-tensor
/// rules of `LlamaQuantMix` adjust it. Values follow the llama.cpp vendored by
/// llama-cpp-python 0.3.36 (`include/llama.h`, `src/llama-quant.cpp`).
public enum LlamaFileType: String, Sendable, CaseIterable {
    case q4_0, q4_1, q5_0, q5_1, q8_0
    case q2_k, q3_k_s, q3_k_m, q3_k_l, q4_k_s, q4_k_m, q5_k_s, q5_k_m, q6_k
    case iq4_nl, iq4_xs
    case iq3_xxs, iq3_s

    /// The spelling `llama-quantize` prints and accepts (`Q4_K_M`; it matches case-insensitively).
    public var llamaQuantizeName: String { rawValue.uppercased() }

    /// `LLAMA_FTYPE_MOSTLY_*`, written as `general.file_type`.
    public var number: UInt32 {
        switch self {
        case .q4_0: return 2
        case .q4_1: return 3
        case .q8_0: return 7
        case .q5_0: return 8
        case .q5_1: return 9
        case .q2_k: return 10
        case .q3_k_s: return 11
        case .q3_k_m: return 12
        case .q3_k_l: return 13
        case .q4_k_s: return 14
        case .q4_k_m: return 15
        case .q5_k_s: return 16
        case .q5_k_m: return 17
        case .q6_k: return 18
        case .iq4_nl: return 25
        case .iq4_xs: return 30
        case .iq3_xxs: return 23
        case .iq3_s: return 26
        }
    }

    /// `llama_ftype_get_default_type`: the type of every quantizable tensor no rule changes.
    public var defaultType: GGMLType {
        switch self {
        case .q4_0: return .q4_0
        case .q4_1: return .q4_1
        case .q5_0: return .q5_0
        case .q5_1: return .q5_1
        case .q8_0: return .q8_0
        case .q2_k: return .q2_K
        case .q3_k_s, .q3_k_m, .q3_k_l: return .q3_K
        case .q4_k_s, .q4_k_m: return .q4_K
        case .q5_k_s, .q5_k_m: return .q5_K
        case .q6_k: return .q6_K
        case .iq4_nl: return .iq4_NL
        case .iq4_xs: return .iq4_XS
        case .iq3_xxs: return .iq3_XXS
        case .iq3_s: return .iq3_S
        }
    }

    /// True when llama-quantize refuses the file type without an imatrix: some tensor other than
    /// the token embedding and the head takes a type `tensor_requires_imatrix` lists (IQ3_XXS
    /// here; IQ3_S does not need one).
    public var requiresImatrix: Bool { self == .iq3_xxs }

    /// The file types llama-quantize writes without an imatrix.
    public static var withoutImatrix: [LlamaFileType] { allCases.filter { !$0.requiresImatrix } }

    /// The file type named `name` (any case: `q4_k_m`, `Q4_K_M`), or nil.
    public init?(name: String) {
        self.init(rawValue: name.lowercased())
    }

    /// All names, comma-separated, for usage messages.
    public static var nameList: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
