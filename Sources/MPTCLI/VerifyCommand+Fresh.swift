import MPTCore
import MPTFormats
import MPTGraph
import MPTReference

/// `mpt-verify REF CAND`: the comparison with a fresh quantization of REF in CAND's own declared
/// formats (Formats/verify.md, "Fresh-quantization verdict").
extension VerifyCommand {
    /// Re-quantizes `referenceModel` like `candidateModel` (one pass over the tensors), with a
    /// progress line; errors name the candidate.
    func freshQuantization(reference referenceModel: MPTModel, candidate candidateModel: MPTModel) throws -> FreshQuantization {
        let weights = ConvertProgress(model: candidateModel)
        let line = ProgressLine("mpt-verify: fresh quantization", total: weights.total, unit: .weights, quiet: quiet.quiet)
        let fresh = try attributing(to: candidate ?? reference) {
            try FreshQuantization(reference: referenceModel, candidate: candidateModel, threads: threading.threads) { name in
                line.advance(by: weights.previous(startingNext: name), item: name)
            }
        }
        line.advance(by: weights.remaining)
        line.finish()
        return fresh
    }

    /// The fresh-quantization verdict on the prompt tokens: the weight check of `fresh`, and for
    /// a quantized candidate the fresh model's logits compared with the reference's
    /// (`freshReport`, from one more forward pass) next to the candidate's `report`.
    func freshVerdict(_ fresh: FreshQuantization, report: ParityReport, freshReport: ParityReport?) throws -> FreshQuantizationVerdict {
        guard let freshReport else { return FreshQuantizationVerdict(weights: fresh.weights, logits: nil) }
        let logits = FreshLogitCheck(candidateKL: report.meanKLDivergence, freshKL: freshReport.meanKLDivergence,
                                     candidateSameTop: report.top1Agreement, freshSameTop: freshReport.top1Agreement)
        return FreshQuantizationVerdict(weights: fresh.weights, logits: logits)
    }
}

extension FreshQuantizationVerdict {
    /// The text block of the report: a summary line, each tensor that is not identical to its
    /// fresh quantization (marked when beyond the margin), the KL / same-top comparison.
    func text() -> String {
        let margin = weights.margin
        let identical = weights.tensors.filter(\.identical).count
        var out = "fresh quantization of the reference in the candidate's formats:\n"
        out += "  weights:      \(identical)/\(weights.tensors.count) tensors identical to a fresh quantization"
        out += weights.identical ? "\n" : "; the others (limit fresh × \(1 + margin.relative) + \(margin.absolute)):\n"
        for tensor in weights.tensors where !tensor.identical {
            let mark = weights.within(tensor) ? "" : "  BEYOND MARGIN"
            out += "    \(tensor.tensor) (\(tensor.format)): error \(scientific(tensor.candidateError)), fresh \(scientific(tensor.freshError))\(mark)\n"
        }
        if let logits {
            out += "  mean KL:      candidate \(scientific(logits.candidateKL)), fresh \(scientific(logits.freshKL)) (limit \(scientific(logits.maxKL)))\n"
            out += "  same top:     candidate \(TextVerdict.percent(logits.candidateSameTop)), fresh \(TextVerdict.percent(logits.freshSameTop)) (min \(TextVerdict.percent(logits.minSameTop)))\n"
        }
        out += passed ? "  fresh-quantization check: PASS\n" : "  fresh-quantization check: FAIL: " + failures.joined(separator: "; ") + "\n"
        return out
    }

    /// The JSON object: every tensor's errors, the margins, the KL / same-top comparison.
    func json() -> JSONValue {
        let tensors: [JSONValue] = weights.tensors.map { tensor in
            .object([
                ("tensor", .string(tensor.tensor)),
                ("format", .string(tensor.format)),
                ("weight_error", .double(tensor.candidateError)),
                ("fresh_weight_error", .double(tensor.freshError)),
                ("identical", .bool(tensor.identical)),
                ("within_margin", .bool(weights.within(tensor))),
            ])
        }
        var logitFields: JSONValue = .null
        if let logits {
            logitFields = .object([
                ("mean_kl", .double(logits.candidateKL)),
                ("fresh_mean_kl", .double(logits.freshKL)),
                ("max_mean_kl", .double(logits.maxKL)),
                ("same_top", .double(logits.candidateSameTop)),
                ("fresh_same_top", .double(logits.freshSameTop)),
                ("min_same_top", .double(logits.minSameTop)),
                ("kl_factor", .double(logits.margin.klFactor)),
                ("kl_slack", .double(logits.margin.klSlack)),
                ("same_top_slack", .double(logits.margin.sameTopSlack)),
                ("pass", .bool(logits.passed)),
            ])
        }
        return .object([
            ("identical", .bool(weights.identical)),
            ("weight_margin_relative", .double(weights.margin.relative)),
            ("weight_margin_absolute", .double(weights.margin.absolute)),
            ("weights_pass", .bool(weights.passed)),
            ("beyond_margin", .array(weights.beyondMargin.map { .string($0.tensor) })),
            ("tensors", .array(tensors)),
            ("logits", logitFields),
            ("failures", .array(failures.map { .string($0) })),
            ("pass", .bool(passed)),
        ])
    }
}
