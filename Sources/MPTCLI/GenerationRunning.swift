import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTReference
import MPTTokenizer

/// Greedy generation for the tools.
enum GenerationRunning {
    /// Greedily continues `prompt` on `model` by `count` tokens, stopping early after a token of
    /// `stopTokens` (weights read in place from the mapped model), calling `onToken` as each is
    /// chosen; errors are attributed to the model.
    static func generate(
        model: MPTModel, prompt: [Int], count: Int, threads: Int, stopTokens: Set<Int> = [],
        onToken: (Int) throws -> Void = { _ in }
    ) throws -> [Int] {
        try generation(model: model, prompt: prompt, count: count, threads: threads, stopTokens: stopTokens, onToken: onToken)
            .generated
    }

    /// `generate` with the whole outcome, including the prefill and decoding times.
    static func generation(
        model: MPTModel, prompt: [Int], count: Int, threads: Int, stopTokens: Set<Int> = [],
        onToken: (Int) throws -> Void = { _ in }
    ) throws -> GreedyGeneration {
        try attributing(to: model.checkpoint.path) {
            let forward = try MPTForward(config: model.config, weights: ModelWeightProvider(model: model), threads: threads)
            let decoder = GreedyDecoder(forward: forward)
            return try decoder.generate(prompt: prompt, count: count, stopTokens: stopTokens, onToken: onToken)
        }
    }

    /// The speed line of `mpt-generate`: the kernel level, then prompt and decoding rates as
    /// llama-bench's `pp` and `tg` (decoding excludes loading and the prefill).
    static func speedLine(_ timing: GenerationTiming, level: KernelLevel = .active) -> String {
        func rate(_ count: Int, _ seconds: Double, _ perSecond: Double) -> String {
            "\(count) tokens in \(String(format: "%.2f", seconds)) s (\(String(format: "%.2f", perSecond)) tokens/s)"
        }
        return "kernels \(level.rawValue); prefill \(rate(timing.prefillTokens, timing.prefillSeconds, timing.prefillRate))"
            + "; decode \(rate(timing.decodeSteps, timing.decodeSeconds, timing.decodeRate))"
    }

    /// `(reference, candidate)` greedy continuations of `prompt` and their agreement, with the
    /// reference's logit gap at the first divergence (one extra forward pass over the shared prefix).
    static func compare(
        reference: MPTModel, candidate: MPTModel, prompt: [Int], count: Int, threads: Int
    ) throws -> GenerationAgreement {
        let referenceTokens = try generate(model: reference, prompt: prompt, count: count, threads: threads)
        let candidateTokens = try generate(model: candidate, prompt: prompt, count: count, threads: threads)
        let plain = GenerationAgreement(reference: referenceTokens, candidate: candidateTokens)
        guard let step = plain.firstDivergence, step < referenceTokens.count, step < candidateTokens.count else { return plain }
        let prefix = prompt + referenceTokens.prefix(step)
        let logits = try attributing(to: reference.checkpoint.path) {
            let forward = try MPTForward(config: reference.config, weights: ModelWeightProvider(model: reference), threads: threads)
            return try forward.logits(tokens: prefix)
        }
        let row = (prefix.count - 1) * reference.config.vocabSize
        let gap = Double(logits[row + referenceTokens[step]]) - Double(logits[row + candidateTokens[step]])
        return GenerationAgreement(reference: referenceTokens, candidate: candidateTokens, divergenceGap: gap)
    }

    /// How many tokens can be generated after `promptLength` without passing `max_seq_len`
    /// (neither HF nor llm-foundry attend past it), at most `requested`.
    static func cappedCount(_ requested: Int, promptLength: Int, config: MPTConfig) -> Int {
        max(0, min(requested, config.maxSeqLen - promptLength))
    }

    /// The text of `ids` with `tokenizer`, or the ids comma-separated without one.
    static func render(_ ids: [Int], tokenizer: BPETokenizer?) -> String {
        guard let tokenizer else { return ids.map(String.init).joined(separator: ",") }
        return tokenizer.decode(ids.compactMap { UInt32(exactly: $0) })
    }
}
