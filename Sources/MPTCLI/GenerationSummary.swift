import MPTFormats
import MPTReference

/// The `--generate` part of an `mpt-verify` report.
struct GenerationSummary {
    let agreement: GenerationAgreement
    /// The candidate's kind (sets the near-tie margin).
    let kind: CandidateKind
    /// Leading tokens that must agree.
    let required: Int
    /// The reference's continuation, decoded (or ids without a tokenizer).
    let referenceText: String
    /// The candidate's continuation, decoded (or ids without a tokenizer).
    let candidateText: String

    var count: Int { agreement.reference.count }
    var passed: Bool { agreement.passes(kind, required: required) }

    func text() -> String {
        var out = "generated:      \(count) tokens greedy (f32)\n"
        if let divergence = agreement.firstDivergence {
            out += "agreement:      first \(agreement.agreeingPrefix) agree; diverge at generated token \(divergence)"
        } else {
            out += "agreement:      all \(count) agree"
        }
        out += " (need \(required))\n"
        if let gap = agreement.divergenceGap {
            let tie = agreement.divergesAtNearTie(kind) ? "a near tie" : "not a near tie"
            out += "divergence gap: \(scientific(gap)) logits in the reference: \(tie) (margin \(scientific(kind.nearTieMargin)))\n"
        }
        out += "reference text: \(String(reflecting: referenceText))\n"
        out += "candidate text: \(String(reflecting: candidateText))\n"
        return out
    }

    func json() -> JSONValue {
        .object([
            ("tokens", .int(count)),
            ("agreeing_prefix", .int(agreement.agreeingPrefix)),
            ("first_divergence", agreement.firstDivergence.map(JSONValue.int) ?? .null),
            ("required", .int(required)),
            ("divergence_gap", agreement.divergenceGap.map(JSONValue.double) ?? .null),
            ("near_tie_margin", .double(kind.nearTieMargin)),
            ("near_tie", .bool(agreement.divergesAtNearTie(kind))),
            ("pass", .bool(passed)),
            ("reference_tokens", .array(agreement.reference.map(JSONValue.int))),
            ("candidate_tokens", .array(agreement.candidate.map(JSONValue.int))),
            ("reference_text", .string(referenceText)),
            ("candidate_text", .string(candidateText)),
        ])
    }
}
