import MPTGraph

/// Greedy decoding with a key/value cache: the prompt is run once (prefill), then each chosen
/// token is run alone against the cached keys and values of all earlier positions.
public struct GreedyDecoder: Sendable {
    /// The forward pass. Its weights are read in place from the provider's storage at every
    /// step (for a model file, the mapping: its pages stay resident between steps).
    public let forward: MPTForward

    /// Decodes with `forward`, keeping the mapped pages of its weights between steps.
    public init(forward: MPTForward) {
        var stepping = forward
        stepping.releasesWeightPages = false
        self.forward = stepping
    }

    /// Greedily continues `prompt` by `count` tokens, or fewer when a token of `stopTokens`
    /// (end-of-text) is chosen: it is kept as the last token. `keepLogits` records the logits
    /// each token was chosen from; `onToken` sees each new token as soon as it is chosen.
    public func generate(
        prompt: [Int], count: Int, stopTokens: Set<Int> = [], keepLogits: Bool = false,
        onToken: (Int) throws -> Void = { _ in }
    ) throws -> GreedyGeneration {
        var cache = KeyValueCache<Float>(config: forward.config)
        // Room for the whole run up front (at most max_seq_len: `count` may be any size).
        cache.reserve(positions: prompt.count + min(count, max(0, forward.config.maxSeqLen - prompt.count)))
        var generated: [Int] = []
        var stepLogits: [[Float]] = []
        var timing = GenerationTiming()
        guard count > 0 else { return GreedyGeneration(prompt: prompt, generated: [], stepLogits: [], timing: timing) }
        let clock = ContinuousClock()
        var start = clock.now
        var logits = try forward.extend(prompt, cache: &cache)
        timing.prefillTokens = prompt.count
        timing.prefillSeconds = GenerationTiming.seconds(clock.now - start)
        while true {
            let token = Self.argmax(logits)
            generated.append(token)
            if keepLogits { stepLogits.append(logits) }
            try onToken(token)
            if generated.count == count || stopTokens.contains(token) { break }
            start = clock.now
            logits = try forward.extend([token], cache: &cache)
            timing.decodeSteps += 1
            timing.decodeSeconds += GenerationTiming.seconds(clock.now - start)
        }
        return GreedyGeneration(prompt: prompt, generated: generated, stepLogits: stepLogits, timing: timing)
    }

    /// The index of the largest logit (the first on ties, like `torch.argmax`); NaNs never win
    /// unless every entry is NaN (then 0).
    public static func argmax(_ logits: [Float]) -> Int {
        var best = 0
        var bestValue = -Float.infinity
        var found = false
        for (index, value) in logits.enumerated() where !value.isNaN {
            if !found || value > bestValue {
                best = index
                bestValue = value
                found = true
            }
        }
        return best
    }
}

/// The outcome of `GreedyDecoder.generate`.
public struct GreedyGeneration: Sendable, Equatable {
    /// The prompt ids.
    public let prompt: [Int]
    /// The chosen ids, in order.
    public let generated: [Int]
    /// With `keepLogits`, `stepLogits[i]` are the logits (`[vocabSize]`) `generated[i]` was chosen
    /// from: the last row of the forward pass over `prompt + generated[..<i]`. Empty otherwise.
    public let stepLogits: [[Float]]
    /// How long the prefill and the decoding steps took (the time `onToken` takes included in neither).
    public var timing = GenerationTiming()

    /// `prompt + generated`.
    public var allTokens: [Int] { prompt + generated }
}
