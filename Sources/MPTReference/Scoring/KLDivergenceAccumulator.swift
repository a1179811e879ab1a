#if canImport(Glibc)
import Glibc
#endif

/// The running sums llama-perplexity keeps in `--kl-divergence` mode (`kl_divergence_result`),
/// plus the per-position KL and Δp values its percentiles are taken from. Positions are added
/// one at a time with `add(candidate:base:token:)`, in the float arithmetic llama-perplexity
/// uses, so the summary reproduces its printed numbers.
public struct KLDivergenceAccumulator: Sendable {
    var sumNLL = 0.0, sumNLL2 = 0.0
    var sumBaseNLL = 0.0, sumBaseNLL2 = 0.0, sumNLLBaseNLL = 0.0
    var sumKLD = 0.0, sumKLD2 = 0.0
    var sumPDiff = 0.0, sumPDiff2 = 0.0, sumPDiff4 = 0.0
    var maxPDiff: Float = 0
    var sameTop = 0
    /// Positions scored.
    public private(set) var count = 0
    /// KL divergence of each scored position, in order.
    public private(set) var klValues: [Float] = []
    /// `p_candidate(true token) − p_base(true token)` of each scored position, in order.
    public private(set) var probabilityDifferences: [Float] = []

    public init() {}

    /// Scores one position: `candidate` logits against the compressed `base` row (see
    /// `CompressedLogProbs`), `token` the true next token.
    public mutating func add(candidate logits: UnsafeBufferPointer<Float>, base row: UnsafeBufferPointer<UInt16>, token: Int) {
        let vocab = logits.count
        var maxLogit = logits[0]
        var top = 0
        for i in 1..<vocab where logits[i] > maxLogit {
            maxLogit = logits[i]
            top = i
        }
        var sumExp = 0.0
        for i in 0..<vocab { sumExp += Double(expf(logits[i] - maxLogit)) }
        let logSumExp = Float(log(sumExp))
        let scale = CompressedLogProbs.scale(row), minLogProb = CompressedLogProbs.minLogProb(row)
        let codes = UnsafeBufferPointer(rebasing: row[4...])

        let nll: Float = maxLogit + logSumExp - logits[token]
        sumNLL += Double(nll)
        sumNLL2 += Double(nll * nll)
        let baseNLL: Float = -(scale * Float(codes[token]) + minLogProb)
        sumBaseNLL += Double(baseNLL)
        sumBaseNLL2 += Double(baseNLL * baseNLL)
        sumNLLBaseNLL += Double(nll * baseNLL)

        let logNormalizer = maxLogit + logSumExp
        var kl = 0.0
        var baseTop = -1
        var baseTopLogProb: Float = 0
        for i in 0..<vocab {
            let baseLogProb = scale * Float(codes[i]) + minLogProb
            if i == 0 || baseLogProb > baseTopLogProb {
                baseTopLogProb = baseLogProb
                baseTop = i
            }
            if baseLogProb > -16 {
                let baseProbability = expf(baseLogProb)
                kl += Double(baseProbability * (baseLogProb - logits[i] + logNormalizer))
            }
        }
        sumKLD += kl
        sumKLD2 += kl * kl
        count += 1
        if top == baseTop { sameTop += 1 }

        let pDiff = expf(-nll) - expf(-baseNLL)
        sumPDiff += Double(pDiff)
        let pDiff2 = Double(pDiff) * Double(pDiff)
        sumPDiff2 += pDiff2
        sumPDiff4 += pDiff2 * pDiff2
        maxPDiff = Swift.max(maxPDiff, abs(pDiff))
        klValues.append(Float(kl))
        probabilityDifferences.append(pDiff)
    }

    /// The statistics llama-perplexity prints at the end of a `--kl-divergence` run.
    public func summary() -> KLDivergenceSummary { KLDivergenceSummary(self) }
}
