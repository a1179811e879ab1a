import MPTFormats
import MPTReference

/// The `--generate` part of an `mpt-verify` report: the verdict's generation check and both
/// continuations as text.
struct GenerationSummary {
    let check: GenerationCheck
    /// The reference's continuation, decoded (or ids without a tokenizer).
    let referenceText: String
    /// The candidate's continuation, decoded (or ids without a tokenizer).
    let candidateText: String

    private var agreement: GenerationAgreement { check.agreement }
    private var kind: CandidateKind { check.kind }
    private var required: Int { check.required }
    var count: Int { check.count }
    var passed: Bool { check.passed }

    func text() -> String {
        var out = "generated:      \(count) tokens greedy (f32)\n"
        if let divergence = agreement.firstDivergence {
            out += "agreement:      first \(agreement.agreeingPrefix) agree; diverge at generated token \(divergence)"
        } else {
            out += "agreement:      all \(count) agree"
        }
        out += " (need \(required))\n"
        if let gap = agreement.divergenceGap {
            let tie = check.nearTie ? "a near tie" : "not a near tie"
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
            ("near_tie", .bool(check.nearTie)),
            ("pass", .bool(passed)),
            ("reference_tokens", .array(agreement.reference.map(JSONValue.int))),
            ("candidate_tokens", .array(agreement.candidate.map(JSONValue.int))),
            ("reference_text", .string(referenceText)),
            ("candidate_text", .string(candidateText)),
        ])
    }
}
