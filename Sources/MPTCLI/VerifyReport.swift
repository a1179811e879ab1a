import MPTFormats
import MPTReference

/// What `mpt-verify` prints for a comparison, as text or JSON. The verdict itself is
/// `VerifyVerdict`'s (MPTReference); this only renders it.
struct VerifyReport {
    let reference: String
    let candidate: String
    let tokens: [Int]
    let precision: String
    let report: ParityReport
    let verdict: VerifyVerdict
    /// The greedy-generation comparison as text, with `--generate`.
    let generation: GenerationSummary?

    private var kind: CandidateKind { verdict.kind }
    private var limit: Double { verdict.logits.limit }
    private var logitsPassed: Bool { verdict.logits.passed }
    private var passed: Bool { verdict.passed }

    func text() -> String {
        let agree = Int((report.top1Agreement * Double(tokens.count)).rounded())
        var out = "reference:      \(reference)\ncandidate:      \(candidate) (\(kind.rawValue))\n"
        out += "tokens:         \(tokens.count), precision \(precision)\n"
        out += "max |Δ|:        \(scientific(report.maxAbsoluteDifference))\n"
        out += "relative L2:    \(scientific(report.relativeL2))  (limit \(scientific(limit)))\n"
        out += "mean KL:        \(scientific(report.meanKLDivergence))\n"
        out += "top-1 agree:    \(agree)/\(tokens.count)\n"
        if let r = report.referencePerplexity, let c = report.candidatePerplexity {
            out += "perplexity:     reference \(fixed(r)), candidate \(fixed(c))\n"
        }
        if generation != nil || verdict.fresh != nil {
            out += "logit parity:   \(logitsPassed ? "within" : "outside") the limit"
            out += !logitsPassed && !verdict.logitLimitCounts
                ? " (not counted: the fresh quantization loses as much, so this is the format on this model)\n" : "\n"
        }
        if let generation { out += generation.text() }
        if let fresh = verdict.fresh { out += fresh.text() }
        out += passed ? "PASS\n" : "FAIL\n"
        return out
    }

    func json() -> String {
        JSONWriter.pretty(.object([
            ("reference", .string(reference)),
            ("candidate", .string(candidate)),
            ("candidate_kind", .string(kind.rawValue)),
            ("tokens", .int(tokens.count)),
            ("precision", .string(precision)),
            ("max_abs_diff", .double(report.maxAbsoluteDifference)),
            ("relative_l2", .double(report.relativeL2)),
            ("max_relative_l2", .double(limit)),
            ("mean_kl", .double(report.meanKLDivergence)),
            ("top1_agreement", .double(report.top1Agreement)),
            ("reference_perplexity", report.referencePerplexity.map(JSONValue.double) ?? .null),
            ("candidate_perplexity", report.candidatePerplexity.map(JSONValue.double) ?? .null),
            ("logits_pass", .bool(logitsPassed)),
            ("generation", generation?.json() ?? .null),
            ("fresh_quantization", verdict.fresh?.json() ?? .null),
            ("pass", .bool(passed)),
        ]))
    }
}

/// `1.234e-05` style with 4 significant digits.
func scientific(_ value: Double) -> String {
    guard value.isFinite else { return String(value) }
    if value == 0 { return "0" }
    var exponent = 0
    var mantissa = abs(value)
    while mantissa >= 10 { mantissa /= 10; exponent += 1 }
    while mantissa < 1 { mantissa *= 10; exponent -= 1 }
    let rounded = (mantissa * 1000).rounded() / 1000
    let sign = value < 0 ? "-" : ""
    return "\(sign)\(rounded)e\(exponent >= 0 ? "+" : "-")\(abs(exponent) < 10 ? "0" : "")\(abs(exponent))"
}

/// `12.345` style.
func fixed(_ value: Double) -> String {
    guard value.isFinite else { return String(value) }
    return String((value * 1000).rounded() / 1000)
}
