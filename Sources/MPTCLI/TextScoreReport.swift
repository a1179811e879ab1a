import Foundation
import MPTFormats
import MPTReference

/// What `mpt-verify --text-file` / `--kl-base` prints: llama-perplexity's statistics blocks, in
/// its own number formats, or the same values as JSON.
struct TextScoreReport {
    let reference: String
    let candidate: String
    let context: Int
    let chunks: Int
    let summary: KLDivergenceSummary
    /// The judgement of a `--text-file` run (`nil` for `--kl-base`, which reports only).
    var verdict: TextVerdict? = nil
    /// The fresh-quantization verdict of a `--text-file` run.
    var fresh: FreshQuantizationVerdict? = nil

    /// Whether the limits passed as options (not the kind's defaults) judge the text verdict.
    var explicitLimits = false

    /// The text verdict counts unless a passing fresh quantization overrules its default limits.
    private var textVerdictCounts: Bool { !(fresh?.overrulesDefaultLimits(explicitLimits: explicitLimits) ?? false) }

    /// Every check that counts passed.
    var passed: Bool { ((verdict?.passed ?? true) || !textVerdictCounts) && (fresh?.passed ?? true) }

    func text() -> String {
        let s = summary
        func line(_ label: String, _ estimate: Estimate, _ format: String = "%10.6f ± %10.6f") -> String {
            label + String(format: format, estimate.value, estimate.error) + "\n"
        }
        var out = "reference:      \(reference)\ncandidate:      \(candidate)\n"
        out += "scored:         \(s.positions) positions in \(chunks) chunks of \(context) tokens\n\n"
        out += "====== Perplexity statistics ======\n"
        out += line("Mean PPL(Q)                   : ", s.candidatePerplexity)
        out += line("Mean PPL(base)                : ", s.referencePerplexity)
        out += String(format: "Cor(ln(PPL(Q)), ln(PPL(base))): %6.2f%%\n", 100 * s.logPerplexityCorrelation)
        out += line("Mean ln(PPL(Q)/PPL(base))     : ", s.logPerplexityRatio)
        out += "\n====== KL divergence statistics ======\n"
        out += line("Mean    KLD: ", s.meanKL)
        out += String(format: "Maximum KLD: %10.6f\n99.9%%   KLD: %10.6f\n99.0%%   KLD: %10.6f\n", s.maxKL, s.kl999, s.kl99)
        out += String(format: "95.0%%   KLD: %10.6f\n90.0%%   KLD: %10.6f\nMedian  KLD: %10.6f\n", s.kl95, s.kl90, s.medianKL)
        out += "\n====== Token probability statistics ======\n"
        out += String(format: "Mean    Δp: %6.3f ± %5.3f %%\n", 100 * s.meanProbabilityDifference.value, 100 * s.meanProbabilityDifference.error)
        out += String(format: "RMS Δp    : %6.3f ± %5.3f %%\n", 100 * s.rmsProbabilityDifference.value, 100 * s.rmsProbabilityDifference.error)
        out += String(format: "Same top p: %6.3f ± %5.3f %%\n", 100 * s.sameTop.value, 100 * s.sameTop.error)
        if let verdict {
            out += "\n" + String(format: "verdict (%@): mean KL %.6f (max %g), same top %.3f %% (min %.3f %%): ",
                                  verdict.kind.rawValue, verdict.meanKL, verdict.maxMeanKL, 100 * verdict.sameTop, 100 * verdict.minSameTop)
            out += verdict.passed ? "PASS\n" : "FAIL: " + verdict.failures.joined(separator: "; ")
                + (textVerdictCounts ? "\n" : " (not counted: the fresh quantization loses as much, so this is the format on this model)\n")
        }
        if let fresh { out += "\n" + fresh.text() }
        if verdict != nil { out += passed ? "PASS\n" : "FAIL\n" }
        return out
    }

    func json() -> String {
        func estimate(_ e: Estimate) -> JSONValue { .object([("value", .double(e.value)), ("error", .double(e.error))]) }
        let s = summary
        var judged: [(String, JSONValue)] = []
        if let verdict {
            judged = [
                ("kind", .string(verdict.kind.rawValue)),
                ("max_mean_kl", .double(verdict.maxMeanKL)),
                ("min_same_top", .double(verdict.minSameTop)),
                ("failures", .array((verdict.failures + (fresh?.failures ?? [])).map { .string($0) })),
                ("text_verdict_pass", .bool(verdict.passed)),
                ("fresh_quantization", fresh?.json() ?? .null),
                ("pass", .bool(passed)),
            ]
        }
        return JSONWriter.pretty(.object([
            ("reference", .string(reference)),
            ("candidate", .string(candidate)),
            ("context", .int(context)),
            ("chunks", .int(chunks)),
            ("positions", .int(s.positions)),
            ("candidate_perplexity", estimate(s.candidatePerplexity)),
            ("reference_perplexity", estimate(s.referencePerplexity)),
            ("ln_ppl_ratio", estimate(s.logPerplexityRatio)),
            ("ln_ppl_correlation", .double(s.logPerplexityCorrelation)),
            ("mean_kl", estimate(s.meanKL)),
            ("max_kl", .double(s.maxKL)),
            ("kl_99_9", .double(s.kl999)),
            ("kl_99", .double(s.kl99)),
            ("kl_95", .double(s.kl95)),
            ("kl_90", .double(s.kl90)),
            ("median_kl", .double(s.medianKL)),
            ("mean_delta_p", estimate(s.meanProbabilityDifference)),
            ("rms_delta_p", estimate(s.rmsProbabilityDifference)),
            ("same_top", estimate(s.sameTop)),
        ] + judged))
    }
}
