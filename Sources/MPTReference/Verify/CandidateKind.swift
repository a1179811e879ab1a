import MPTCore
import MPTGraph

/// What kind of lossy transformation a candidate model went through, which sets the default
/// parity tolerance of `mpt-verify`.
public enum CandidateKind: String, Sendable, CaseIterable, Codable {
    /// Same or wider storage than the reference: results must agree to float32 rounding.
    case exact
    case f16
    case bf16
    case int8
    case nf4
    case q8_0
    case q4_0

    /// Default maximum relative L2 distance of the logits (‖cand − ref‖ / ‖ref‖), set at about
    /// 1.5–3× the worst error measured on the fixtures (whose widened random weights make them far
    /// more sensitive than trained models); see Formats/verify.md for the measurements.
    public var defaultMaxRelativeL2: Double {
        switch self {
        case .exact: return 1e-5
        case .f16: return 5e-3
        case .bf16: return 3e-2
        case .int8: return 6e-2
        case .nf4: return 0.5
        case .q8_0: return 6e-2
        case .q4_0: return 0.5
        }
    }

    /// Classifies `candidate` against `reference` (or on its own when comparing with stored
    /// logits): quantized formats by name, dense ones by their linear-weight dtype (a LoRA-merged
    /// weight counts as its stored base weight; the merge itself is float32).
    public static func classify(candidate: MPTModel, reference: MPTModel?) -> CandidateKind {
        let probe = CanonicalTensor.block(0, .wqkv, .weight)
        guard let source = candidate.tensors[probe]?.stored else { return .exact }
        switch source {
        case let .quantized(tensor):
            return CandidateKind(rawValue: tensor.format.lowercased()) ?? .q4_0
        case let .dense(view):
            guard let reference, case let .dense(referenceView)? = reference.tensors[probe]?.stored else { return .exact }
            return denseKind(candidate: view.dtype, reference: referenceView.dtype)
        case .merged:
            return .exact
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
