#if canImport(Glibc)
import Glibc
#endif

/// A value with the standard error llama-perplexity prints beside it (`value ± error`).
public struct Estimate: Sendable, Equatable, Codable {
    public var value: Double
    public var error: Double
}

/// The summary of a text-scoring run, the numbers llama-perplexity prints in its
/// "Perplexity statistics", "KL divergence statistics" and "Token probability statistics"
/// blocks, computed the same way (its `mean_and_uncertainty`, `covariance` and interpolated
/// percentiles).
public struct KLDivergenceSummary: Sendable, Equatable, Codable {
    /// Positions scored.
    public var positions: Int
    /// PPL of the candidate (`Mean PPL(Q)`).
    public var candidatePerplexity: Estimate
    /// PPL of the reference (`Mean PPL(base)`).
    public var referencePerplexity: Estimate
    /// `Mean ln(PPL(Q)/PPL(base))`.
    public var logPerplexityRatio: Estimate
    /// `Cor(ln(PPL(Q)), ln(PPL(base)))` as a fraction.
    public var logPerplexityCorrelation: Double
    /// `Mean KLD`, in nats.
    public var meanKL: Estimate
    /// `Maximum KLD`.
    public var maxKL: Double
    /// `99.9% KLD`.
    public var kl999: Double
    /// `99.0% KLD`.
    public var kl99: Double
    /// `95.0% KLD`.
    public var kl95: Double
    /// `90.0% KLD`.
    public var kl90: Double
    /// `Median KLD`.
    public var medianKL: Double
    /// `Mean Δp` as a fraction (not percent).
    public var meanProbabilityDifference: Estimate
    /// `RMS Δp` as a fraction.
    public var rmsProbabilityDifference: Estimate
    /// `Same top p` as a fraction.
    public var sameTop: Estimate

    init(_ sums: KLDivergenceAccumulator) {
        let count = sums.count
        positions = count
        let logPPL = Self.meanAndUncertainty(sums.sumNLL, sums.sumNLL2, count)
        let logBase = Self.meanAndUncertainty(sums.sumBaseNLL, sums.sumBaseNLL2, count)
        let candidate = logPPL.value.exp
        candidatePerplexity = Estimate(value: candidate, error: candidate * logPPL.error)
        let base = logBase.value.exp
        referencePerplexity = Estimate(value: base, error: base * logBase.error)
        let covariance = Self.covariance(sums.sumNLL, sums.sumBaseNLL, sums.sumNLLBaseNLL, count)
        logPerplexityCorrelation = covariance / (logPPL.error * logBase.error)
        logPerplexityRatio = Estimate(
            value: logPPL.value - logBase.value,
            error: (logPPL.error * logPPL.error + logBase.error * logBase.error - 2 * covariance).squareRoot())
        meanKL = Self.meanAndUncertainty(sums.sumKLD, sums.sumKLD2, count)
        let kl = sums.klValues.sorted()
        maxKL = Double(kl.last ?? 0)
        kl999 = Self.percentile(kl, 0.999)
        kl99 = Self.percentile(kl, 0.990)
        kl95 = Self.percentile(kl, 0.950)
        kl90 = Self.percentile(kl, 0.900)
        medianKL = Self.median(kl)
        meanProbabilityDifference = Self.meanAndUncertainty(sums.sumPDiff, sums.sumPDiff2, count)
        let mse = Self.meanAndUncertainty(sums.sumPDiff2, sums.sumPDiff4, count)
        let rms = mse.value.squareRoot()
        rmsProbabilityDifference = Estimate(value: rms, error: rms > 0 ? 0.5 / rms * mse.error : 0)
        let same = count > 0 ? Double(sums.sameTop) / Double(count) : 0
        sameTop = Estimate(value: same, error: count > 1 ? (same * (1 - same) / Double(count - 1)).squareRoot() : 0)
    }

    /// llama-perplexity's `mean_and_uncertainty`: the mean and, past 10 values, the standard error.
    static func meanAndUncertainty(_ sum: Double, _ sum2: Double, _ count: Int) -> Estimate {
        guard count >= 1 else { return Estimate(value: 0, error: 0) }
        let mean = sum / Double(count)
        let variance = sum2 / Double(count) - mean * mean
        let error = variance > 0 && count > 10 ? (variance / Double(count - 1)).squareRoot() : 0
        return Estimate(value: mean, error: error)
    }

    /// llama-perplexity's `covariance` of two means (0 below 10 values).
    static func covariance(_ sumA: Double, _ sumB: Double, _ sumAB: Double, _ count: Int) -> Double {
        guard count >= 10 else { return 0 }
        let n = Double(count)
        return (sumAB / n - (sumA / n) * (sumB / n)) / (n - 1)
    }

    /// The interpolated percentile of sorted values, in `Float` as llama-perplexity computes it.
    static func percentile(_ sorted: [Float], _ fraction: Float) -> Double {
        guard let first = sorted.first, let last = sorted.last else { return 0 }
        if fraction <= 0 { return Double(first) }
        if fraction >= 1 { return Double(last) }
        var position = fraction * Float(sorted.count - 1)
        let index = Int(position)
        position -= Float(index)
        return Double((1 - position) * sorted[index] + position * sorted[Swift.min(index + 1, sorted.count - 1)])
    }

    /// The median of sorted values (the mean of the middle two for an even count, in `Float`).
    static func median(_ sorted: [Float]) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let middle = sorted.count / 2
        return sorted.count % 2 == 0 ? Double(0.5 * (sorted[middle] + sorted[middle - 1])) : Double(sorted[middle])
    }
}

extension Double {
    fileprivate var exp: Double { Glibc.exp(self) }
}
