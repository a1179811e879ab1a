/// How far two greedy continuations of the same prompt agree.
public struct GenerationAgreement: Sendable, Equatable {
    /// The reference model's generated ids.
    public let reference: [Int]
    /// The candidate model's generated ids.
    public let candidate: [Int]

    /// At the first divergence, the reference's logit for its own token minus its logit for the
    /// candidate's token (how close the reference itself was to choosing the candidate's token);
    /// `nil` when there is no divergence or it was not measured.
    public let divergenceGap: Double?

    public init(reference: [Int], candidate: [Int], divergenceGap: Double? = nil) {
        self.reference = reference
        self.candidate = candidate
        self.divergenceGap = divergenceGap
    }

    /// Whether this passes `kind`'s defaults (or `required` leading tokens when given): enough
    /// leading tokens agree, or the first divergence is a near tie for the reference (its gap at
    /// most `kind.nearTieMargin`), where rounding alone may pick either token.
    public func passes(_ kind: CandidateKind, required: Int? = nil) -> Bool {
        agreeingPrefix >= (required ?? kind.defaultRequiredAgreement(of: reference.count)) || divergesAtNearTie(kind)
    }

    /// Whether the first divergence is a near tie under `kind`.
    public func divergesAtNearTie(_ kind: CandidateKind) -> Bool {
        guard let divergenceGap else { return false }
        return divergenceGap <= kind.nearTieMargin
    }

    /// The first generated position (0-based) where the two differ, or `nil` when they agree
    /// everywhere (a shorter list counts as differing where it ends).
    public var firstDivergence: Int? {
        for index in 0..<min(reference.count, candidate.count) where reference[index] != candidate[index] {
            return index
        }
        return reference.count == candidate.count ? nil : min(reference.count, candidate.count)
    }

    /// How many leading generated tokens agree.
    public var agreeingPrefix: Int { firstDivergence ?? reference.count }
}

extension CandidateKind {
    /// Default number of leading greedy tokens out of `count` that must agree for `mpt-verify
    /// --generate` to pass. Exact candidates must agree on all; f16, bf16, int8 and q8_0 on a
    /// majority (`count / 2 + 1`); 4-bit NF4 and Q4_0 on the first `min(count, 4)`, and so do the
    /// other 2–6-bit kinds (not measured separately: one confident divergence still fails them). Once one
    /// token differs the two continuations condition on different text, so later disagreement says
    /// little; see Formats/verify.md for the measurements behind these numbers.
    public func defaultRequiredAgreement(of count: Int) -> Int {
        let count = max(0, count)
        switch tier {
        case .exact: return count
        case .f16, .bf16, .eightBit: return min(count, count / 2 + 1)
        case .fiveToSixBit, .fourBit, .threeBit, .twoBit: return min(count, 4)
        }
    }

    /// Largest reference logit gap (own token minus the candidate's) at which a divergence counts
    /// as a near tie the candidate's error may flip: set from the largest gap at a divergence
    /// measured on the fixtures (bf16 0.008, int8/q8_0 0.032, NF4 1.25, Q4_0 2.13) and kept below
    /// the gap of an unrelated model (3.5 on mpt-4h-f32); see Formats/verify.md. Exact candidates
    /// get float32 slack only.
    public var nearTieMargin: Double {
        switch tier {
        case .exact: return 1e-3
        case .f16: return 0.02
        case .bf16: return 0.05
        case .eightBit: return 0.2
        case .fiveToSixBit, .fourBit, .threeBit, .twoBit: return 2.5
        }
    }
}
