import MPTCore
import MPTFormats
import MPTGraph

/// What kind of lossy transformation a candidate model went through, which sets the default
/// tolerances of `mpt-verify`. Quantized kinds are named by their lowercased format (`nf4`,
/// `int8`, a ggml type such as `q4_k`); every format MPTKit can encode has one.
public enum CandidateKind: String, Sendable, CaseIterable, Codable {
    /// Same or wider storage than the reference: results must agree to float32 rounding.
    case exact
    case f16
    case bf16
    case int8
    case nf4
    case q8_0, q4_0, q4_1, q5_0, q5_1
    case q2_k, q3_k, q4_k, q5_k, q6_k
    case iq4_nl, iq4_xs
    case iq3_xxs, iq3_s

    /// Why a candidate cannot be classified.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// A weight is stored in a quantized format no kind covers.
        case unrecognizedFormat(format: String, tensor: String)

        public var description: String {
            switch self {
            case let .unrecognizedFormat(format, tensor):
                let known = CandidateKind.allCases.filter(\.isQuantized).map { $0.rawValue.uppercased() }.joined(separator: ", ")
                return "\(tensor) is stored as \(format), a quantized format mpt-verify has no tolerances for (known: \(known))"
            }
        }
    }

    /// The kind of a quantized format name (`NF4`, `INT8`, `Q4_K`, …), or `nil` when unknown.
    public init?(quantizedFormat format: String) {
        guard let kind = CandidateKind(rawValue: format.lowercased()), kind.isQuantized else { return nil }
        self = kind
    }

    /// True for the quantized kinds (not exact, f16, bf16).
    public var isQuantized: Bool {
        switch self {
        case .exact, .f16, .bf16: return false
        default: return true
        }
    }

    /// How many bits a quantized weight keeps, which groups the kinds whose defaults are shared.
    enum Tier {
        case exact, f16, bf16, eightBit, fiveToSixBit, fourBit, threeBit, twoBit
    }

    var tier: Tier {
        switch self {
        case .exact: return .exact
        case .f16: return .f16
        case .bf16: return .bf16
        case .int8, .q8_0: return .eightBit
        case .q5_0, .q5_1, .q5_k, .q6_k: return .fiveToSixBit
        case .nf4, .q4_0, .q4_1, .q4_k, .iq4_nl, .iq4_xs: return .fourBit
        case .q3_k, .iq3_xxs, .iq3_s: return .threeBit
        case .q2_k: return .twoBit
        }
    }

    /// Default maximum relative L2 distance of the logits (‖cand − ref‖ / ‖ref‖), set at about
    /// 1.5–3× the worst error measured on the random fixtures (whose widened random weights make
    /// them far more sensitive than trained models); see Formats/verify.md for the measurements.
    public var defaultMaxRelativeL2: Double {
        switch tier {
        case .exact: return 1e-5
        case .f16: return 5e-3
        case .bf16: return 3e-2
        case .eightBit: return 6e-2
        case .fiveToSixBit: return 0.25
        case .fourBit: return 0.5
        case .threeBit: return 0.5
        case .twoBit: return 0.8
        }
    }

    /// The linear weights whose format names a quantized file's kind: every block's attention and
    /// feed-forward matrices.
    static func blockMatrices(_ config: MPTConfig) -> [CanonicalTensor] {
        (0..<config.nLayers).flatMap { layer in
            [CanonicalTensor.BlockTensor.wqkv, .outProj, .upProj, .downProj].map { CanonicalTensor.block(layer, $0, .weight) }
        }
    }

    /// Classifies `candidate` against `reference` (or on its own when comparing with stored
    /// logits). A quantized file is the kind of the fewest-bits format among its block attention /
    /// feed-forward matrices — the type its file type is named after (a Q4_K_M file is `q4_k`
    /// although its attn_qkv is Q5_K and some ffn_down Q6_K; a Q2_K file is `q2_k` although most of
    /// it is Q3_K); the fresh-quantization verdict judges each tensor by its own type. Dense
    /// candidates are classified by their linear-weight dtype (a LoRA-merged weight counts as its
    /// stored base weight). Throws `Failure.unrecognizedFormat` for a quantized format no kind
    /// covers, anywhere in the model.
    public static func classify(candidate: MPTModel, reference: MPTModel?) throws -> CandidateKind {
        var kinds: Set<CandidateKind> = []
        for tensor in candidate.orderedTensors {
            guard case let .quantized(stored)? = candidate.tensors[tensor]?.stored else { continue }
            guard let kind = CandidateKind(quantizedFormat: stored.format) else {
                throw Failure.unrecognizedFormat(format: stored.format, tensor: candidate.sourceNames[tensor] ?? tensor.name)
            }
            if blockMatrices(candidate.config).contains(tensor) { kinds.insert(kind) }
        }
        if let fewest = kinds.min(by: { ($0.bitsPerWeight, $0.rawValue) < ($1.bitsPerWeight, $1.rawValue) }) {
            return fewest
        }
        let probe = CanonicalTensor.block(0, .wqkv, .weight)
        guard case let .dense(view)? = candidate.tensors[probe]?.stored,
              let reference, case let .dense(referenceView)? = reference.tensors[probe]?.stored else { return .exact }
        return denseKind(candidate: view.dtype, reference: referenceView.dtype)
    }

    /// Stored bits per weight of a quantized kind, scales included (NF4 at its default block size
    /// 64 with float32 scales); 32 for the dense kinds.
    var bitsPerWeight: Double {
        switch self {
        case .exact, .f16, .bf16: return 32
        case .int8: return 8
        case .nf4: return 4.5
        default:
            guard let type = GGMLType.allCases.first(where: { $0.description.lowercased() == rawValue }) else { return 32 }
            return Double(type.typeSize * 8) / Double(type.blockSize)
        }
    }

    private static func denseKind(candidate: DType, reference: DType) -> CandidateKind {
        if candidate == reference { return .exact }
        switch candidate {
        case .f64, .f32: return .exact
        case .f16: return .f16
        case .bf16: return .bf16
        default: return .exact
        }
    }
}
