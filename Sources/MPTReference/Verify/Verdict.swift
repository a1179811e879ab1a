/// Whether a candidate's logits are close enough to the reference's.
public struct LogitCheck: Sendable, Equatable {
    /// The measured relative L2 distance.
    public let relativeL2: Double
    /// The largest relative L2 that passes.
    public let limit: Double

    public init(relativeL2: Double, limit: Double) {
        self.relativeL2 = relativeL2
        self.limit = limit
    }

    /// Within the limit (a NaN or infinite distance never passes).
    public var passed: Bool { relativeL2.isFinite && relativeL2 <= limit }
}

/// Whether two greedy continuations agree well enough (see `GenerationAgreement.passes`).
public struct GenerationCheck: Sendable, Equatable {
    /// The two continuations and the reference's gap at their first divergence.
    public let agreement: GenerationAgreement
    /// The candidate's kind (sets the default requirement and the near-tie margin).
    public let kind: CandidateKind
    /// Leading generated tokens that must agree.
    public let required: Int

    /// `required` defaults to `kind.defaultRequiredAgreement`; a requirement above the number
    /// generated is capped to it. Throws `VerdictError.emptyGeneration` when nothing was generated:
    /// an empty comparison proves nothing and never passes.
    public init(agreement: GenerationAgreement, kind: CandidateKind, required: Int? = nil) throws {
        let count = agreement.reference.count
        guard count > 0 else { throw VerdictError.emptyGeneration }
        self.agreement = agreement
        self.kind = kind
        self.required = required.map { min(max($0, 0), count) } ?? kind.defaultRequiredAgreement(of: count)
    }

    /// Tokens generated per model.
    public var count: Int { agreement.reference.count }
    /// Whether the first divergence is a near tie for the reference.
    public var nearTie: Bool { agreement.divergesAtNearTie(kind) }
    /// Enough leading tokens agree, or the first divergence is a near tie.
    public var passed: Bool { agreement.passes(kind, required: required) }
}

/// The verdict of `mpt-verify` on a candidate: its logits must be within the tolerance and, when
/// greedy generation was compared too, the continuations must agree. Generation adds a check; it
/// never replaces the logit one.
public struct VerifyVerdict: Sendable, Equatable {
    /// The candidate's kind.
    public let kind: CandidateKind
    /// The logit check.
    public let logits: LogitCheck
    /// The generation check, when generation was compared.
    public let generation: GenerationCheck?
    /// The comparison with a fresh quantization of the reference, when a reference model was run.
    public let fresh: FreshQuantizationVerdict?
    /// Whether the logit limit was given (not the kind's default).
    public let explicitLimit: Bool

    /// Judges `report` against `maxRelativeL2` (default: `kind.defaultMaxRelativeL2`) and, when
    /// given, `generation` against `requiredAgreement` leading tokens (default per kind); `fresh`
    /// is the fresh-quantization verdict, which must pass as well.
    public init(report: ParityReport, kind: CandidateKind, maxRelativeL2: Double? = nil,
                generation: GenerationAgreement? = nil, requiredAgreement: Int? = nil,
                fresh: FreshQuantizationVerdict? = nil) throws {
        self.kind = kind
        self.fresh = fresh
        self.explicitLimit = maxRelativeL2 != nil
        self.logits = LogitCheck(relativeL2: report.relativeL2, limit: maxRelativeL2 ?? kind.defaultMaxRelativeL2)
        self.generation = try generation.map { try GenerationCheck(agreement: $0, kind: kind, required: requiredAgreement) }
    }

    /// Whether the logit limit decides: always, unless the fresh quantization overrules a
    /// default limit (`FreshQuantizationVerdict.overrulesDefaultLimits`).
    public var logitLimitCounts: Bool { !(fresh?.overrulesDefaultLimits(explicitLimits: explicitLimit) ?? false) }

    /// Every check that counts passed.
    public var passed: Bool {
        (logits.passed || !logitLimitCounts) && (generation?.passed ?? true) && (fresh?.passed ?? true)
    }
}

/// Why a verification could not reach a verdict.
public enum VerdictError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A generation comparison produced no tokens.
    case emptyGeneration
    /// The prompt already fills the model's context, so nothing can be generated after it.
    case promptFillsContext(promptTokens: Int, maxSeqLen: Int)

    public var description: String {
        switch self {
        case .emptyGeneration:
            return "greedy generation produced no tokens, so there is nothing to compare"
        case let .promptFillsContext(promptTokens, maxSeqLen):
            return "cannot generate after a prompt of \(promptTokens) tokens: the model's max_seq_len is \(maxSeqLen), so there is no room for a generated token"
        }
    }
}
