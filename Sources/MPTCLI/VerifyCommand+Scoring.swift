import ArgumentParser
import MPTCore
import MPTFormats
import MPTGraph
import MPTReference

/// `mpt-verify … --text-file` and `--kl-base`: text scoring in llama-perplexity's way.
extension VerifyCommand {
    var isScoring: Bool { textFile != nil || klBase != nil }

    func validateScoring() throws {
        guard isScoring else { return }
        if textFile != nil && klBase != nil { throw ValidationError("give either --text-file or --kl-base, not both") }
        if textFile != nil && candidate == nil { throw ValidationError("--text-file needs a CANDIDATE model to compare with REF") }
        if klBase != nil && candidate != nil { throw ValidationError("--kl-base scores one model: give no CANDIDATE") }
        if tokens != nil || prompt != nil || promptFile != nil || referenceLogits != nil || generate != nil || dumpLogits != nil {
            throw ValidationError("--text-file and --kl-base take no --tokens, --prompt, --generate, --dump-logits or --reference-logits")
        }
        if precision != .f32 { throw ValidationError("text scoring runs in f32") }
        guard ctx >= 4 else { throw ValidationError("--ctx must be at least 4") }
        if let chunks, chunks < 1 { throw ValidationError("--chunks must be 1 or more") }
        if let maxMeanKl, !(maxMeanKl >= 0) { throw ValidationError("--max-mean-kl must be a non-negative number") }
        if let minSameTop, !(minSameTop >= 0 && minSameTop <= 1) { throw ValidationError("--min-same-top must be between 0 and 1") }
    }

    /// Runs the scoring and prints the statistics. A `--text-file` run is judged (`TextVerdict`:
    /// mean KL and same-top against the candidate kind's defaults or the options; and
    /// `FreshQuantizationVerdict`: weight errors, and for a quantized candidate KL / same-top next
    /// to a fresh quantization of REF scored on the same chunks) and returns whether both passed.
    /// A `--kl-base` run judges the model against llama-perplexity's base logits with the text
    /// verdict of its own kind (its stored format; there are no reference weights to quantize
    /// afresh).
    func score() throws -> Bool {
        let model = try sequenceLength.apply(to: ModelLoading.model(at: reference, mergingLoRA: mergeLora), path: reference)
        let summary: KLDivergenceSummary
        let used: (context: Int, chunks: Int)
        var verdict: TextVerdict?
        var fresh: FreshQuantizationVerdict?
        let forward = try MPTForward(config: model.config, weights: ModelWeightProvider(model: model), threads: threading.threads)
        if let klBase {
            let base = try attributing(to: klBase) { try KLBaseFile(path: klBase) }
            let count = min(chunks ?? base.chunks, base.chunks)
            summary = try attributing(to: reference) { try TextScorer.score(base: base, candidate: forward, bos: nil, chunks: count) }
            used = (base.context, count)
            let kind = try attributing(to: reference) { try CandidateKind.classify(candidate: model, reference: nil) }
            verdict = TextVerdict(summary: summary, kind: kind, maxMeanKL: maxMeanKl, minSameTop: minSameTop)
        } else if let textFile, let candidate {
            let candidateModel = try sequenceLength.apply(to: ModelLoading.model(at: candidate), path: candidate)
            guard candidateModel.config.vocabSize == model.config.vocabSize else {
                throw FileError(path: candidate, underlying: VerifyFailure.vocabularyMismatch(
                    candidate: candidateModel.config.vocabSize, reference: model.config.vocabSize))
            }
            // As for a prompt: past max_seq_len only with --max-seq-len (ALiBi models).
            guard ctx <= model.config.maxSeqLen else {
                let hint = model.config.learnedPositionEmbedding ? "" : " (--max-seq-len raises it for this ALiBi model)"
                throw ValidationError("--ctx \(ctx) exceeds the model's max_seq_len \(model.config.maxSeqLen)\(hint)")
            }
            guard let tokenizerPath = model.checkpoint.tokenizerPath ?? candidateModel.checkpoint.tokenizerPath else {
                throw TokenizerLoading.Failure.noTokenizer(model: reference)
            }
            let text = try TokenizerLoading.text(ofFile: textFile)
            let ids = try TokenizerLoading.tokenizer(at: tokenizerPath).encode(text).map(Int.init)
            let plan = try attributing(to: textFile) { try TextChunking(tokenCount: ids.count, context: ctx, limit: chunks) }
            let kind = try attributing(to: candidate) { try CandidateKind.classify(candidate: candidateModel, reference: model) }
            let freshModel = try freshQuantization(reference: model, candidate: candidateModel)
            var forwards = [try MPTForward(config: candidateModel.config, weights: ModelWeightProvider(model: candidateModel), threads: threading.threads)]
            if FreshQuantization.isQuantized(candidateModel) {
                forwards.append(try MPTForward(config: freshModel.model.config, weights: ModelWeightProvider(model: freshModel.model), threads: threading.threads))
            }
            let line = ProgressLine("mpt-verify: scoring", total: plan.chunks, unit: .chunks, quiet: quiet.quiet)
            let summaries = try TextScorer.score(reference: forward, candidates: forwards, tokens: ids, chunking: plan, bos: nil) { done, total in
                line.advance(by: 1, item: "chunk \(done)/\(total)")
            }
            line.finish()
            summary = summaries[0]
            used = (plan.context, plan.chunks)
            verdict = TextVerdict(summary: summary, kind: kind, maxMeanKL: maxMeanKl, minSameTop: minSameTop)
            fresh = FreshQuantizationVerdict(weights: freshModel.weights, logits: summaries.dropFirst().first.map { freshSummary in
                FreshLogitCheck(candidateKL: summary.meanKL.value, freshKL: freshSummary.meanKL.value,
                                candidateSameTop: summary.sameTop.value, freshSameTop: freshSummary.sameTop.value)
            })
        } else {
            throw ValidationError("nothing to score")
        }
        var report = TextScoreReport(
            reference: klBase ?? reference, candidate: klBase == nil ? (candidate ?? "") : reference,
            context: used.context, chunks: used.chunks, summary: summary, verdict: verdict, fresh: fresh)
        report.explicitLimits = maxMeanKl != nil || minSameTop != nil
        print(output.json ? report.json() : report.text(), terminator: "")
        return report.passed
    }
}
