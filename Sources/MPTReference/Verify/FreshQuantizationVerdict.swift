import Foundation

/// How much worse than a fresh quantization a candidate's output may be:
/// `KL ≤ fresh KL × klFactor + klSlack` and `same top ≥ fresh same top − sameTopSlack`.
public struct FreshLogitMargin: Sendable, Equatable {
    /// Allowed mean-KL ratio to the fresh quantization's.
    public let klFactor: Double
    /// Allowed mean-KL excess regardless of the fresh KL (nats).
    public let klSlack: Double
    /// Allowed drop of the same-top fraction below the fresh quantization's.
    public let sameTopSlack: Double

    public init(klFactor: Double, klSlack: Double, sameTopSlack: Double) {
        self.klFactor = klFactor
        self.klSlack = klSlack
        self.sameTopSlack = sameTopSlack
    }

    /// The defaults, set on the trained fixture (Formats/verify.md, "Fresh-quantization verdict"):
    /// honest files made by llama-quantize with an imatrix reach 0.78–1.02× the fresh KL on
    /// held-out text and up to 2.17× on the default (random-id) prompt, and lose at most 3.1
    /// points of same-top; the least-broken candidate (Q4_0 scales ×1.1) is 5.07× (prompt) and
    /// 6.66× (text). MPTKit's and llama-quantize's own files are byte-identical: 1.00×.
    public static let standard = FreshLogitMargin(klFactor: 3, klSlack: 1e-4, sameTopSlack: 0.05)
}

/// The candidate's mean KL and same-top fraction (against the reference, on the same tokens) next
/// to the fresh quantization's.
public struct FreshLogitCheck: Sendable, Equatable {
    public let candidateKL: Double
    public let freshKL: Double
    public let candidateSameTop: Double
    public let freshSameTop: Double
    public let margin: FreshLogitMargin

    public init(candidateKL: Double, freshKL: Double, candidateSameTop: Double, freshSameTop: Double, margin: FreshLogitMargin = .standard) {
        self.candidateKL = candidateKL
        self.freshKL = freshKL
        self.candidateSameTop = candidateSameTop
        self.freshSameTop = freshSameTop
        self.margin = margin
    }

    /// The largest candidate KL that passes.
    public var maxKL: Double { freshKL * margin.klFactor + margin.klSlack }
    /// The smallest candidate same-top fraction that passes.
    public var minSameTop: Double { freshSameTop - margin.sameTopSlack }
    /// KL within its limit (NaN never passes).
    public var klPassed: Bool { candidateKL.isFinite && freshKL.isFinite && candidateKL <= maxKL }
    /// Same-top at or above its minimum.
    public var sameTopPassed: Bool { candidateSameTop.isFinite && freshSameTop.isFinite && candidateSameTop >= minSameTop }
    public var passed: Bool { klPassed && sameTopPassed }
}

/// The verdict against a fresh quantization of the reference: every tensor's weight error within
/// its margin of the fresh one's, and (for a quantized candidate, whose fresh quantization ran
/// through the forward pass too) the candidate's KL / same-top within their margins of the fresh
/// quantization's on the same tokens. Both must pass. A dense candidate has the weight check
/// only (its fresh counterpart is a cast; its logits keep their absolute tolerances).
public struct FreshQuantizationVerdict: Sendable, Equatable {
    /// Per-tensor weight errors.
    public let weights: WeightErrorReport
    /// The output comparison; `nil` for a dense candidate.
    public let logits: FreshLogitCheck?

    public init(weights: WeightErrorReport, logits: FreshLogitCheck?) {
        self.weights = weights
        self.logits = logits
    }

    /// Both checks passed.
    public var passed: Bool { weights.passed && (logits?.passed ?? true) }

    /// Whether this verdict decides for a quantized candidate in place of the kind's *default*
    /// absolute limits: the fresh model's outputs were compared too and everything is within its
    /// margins, so the candidate loses what its format loses on this model. A default limit it
    /// then exceeds describes the format on this model (e.g. Q8_0 on random weights with near-tie
    /// logits), not a broken conversion. Limits the user gave always count, as do dense casts'.
    public func overrulesDefaultLimits(explicitLimits: Bool) -> Bool {
        !explicitLimits && logits != nil && passed
    }

    /// What failed, in words, naming every tensor beyond its margin (empty when it passes).
    public var failures: [String] {
        var out = weights.beyondMargin.map { tensor in
            "\(tensor.tensor) (\(tensor.format)): weight error \(Self.number(tensor.candidateError)) vs fresh \(Self.number(tensor.freshError)) (limit \(Self.number(weights.margin.limit(fresh: tensor.freshError))))"
        }
        if weights.tensors.isEmpty { out.append("no tensor was compared") }
        guard let logits else { return out }
        if !logits.klPassed {
            out.append("mean KL \(Self.number(logits.candidateKL)) vs fresh \(Self.number(logits.freshKL)) exceeds \(Self.number(logits.maxKL))")
        }
        if !logits.sameTopPassed {
            out.append("same top \(TextVerdict.percent(logits.candidateSameTop)) vs fresh \(TextVerdict.percent(logits.freshSameTop)) is below \(TextVerdict.percent(logits.minSameTop))")
        }
        return out
    }

    static func number(_ value: Double) -> String { String(format: "%.4g", value) }
}
