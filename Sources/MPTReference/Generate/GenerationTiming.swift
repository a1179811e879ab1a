/// Wall-clock time of a greedy generation's two phases, to compare with llama-bench's prompt
/// (`pp`) and generation (`tg`) rates: the prefill runs the prompt and picks the first token;
/// each decoding step runs one token against the cache and picks the next.
public struct GenerationTiming: Sendable, Equatable {
    /// Prompt tokens run by the prefill.
    public var prefillTokens = 0
    /// Seconds of the prefill (forward pass over the prompt and its head row).
    public var prefillSeconds = 0.0
    /// Single-token decoding steps run after the prefill (generated tokens − 1).
    public var decodeSteps = 0
    /// Seconds of all decoding steps.
    public var decodeSeconds = 0.0

    public init() {}

    /// Prompt tokens per second (0 without a prefill).
    public var prefillRate: Double { prefillSeconds > 0 ? Double(prefillTokens) / prefillSeconds : 0 }
    /// Decoding steps per second, load and prefill excluded (0 without a step).
    public var decodeRate: Double { decodeSeconds > 0 ? Double(decodeSteps) / decodeSeconds : 0 }

    /// Seconds between two `ContinuousClock` instants.
    static func seconds(_ duration: Duration) -> Double {
        let parts = duration.components
        return Double(parts.seconds) + Double(parts.attoseconds) * 1e-18
    }
}
