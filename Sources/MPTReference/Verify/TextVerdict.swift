/// Whether a candidate scored on a text (`mpt-verify REF CAND --text-file`) is close enough to the
/// reference: its mean KL divergence at most a limit and its "same top token" fraction at least a
/// minimum. Both defaults depend on the candidate's kind (`CandidateKind.defaultMaxMeanKL`,
/// `defaultMinSameTop`); Formats/verify.md gives the measurements they sit between.
public struct TextVerdict: Sendable, Equatable {
    /// The candidate's kind (sets the defaults).
    public let kind: CandidateKind
    /// Measured mean KL divergence (nats per position).
    public let meanKL: Double
    /// The largest mean KL that passes.
    public let maxMeanKL: Double
    /// Measured fraction of positions whose top token agrees.
    public let sameTop: Double
    /// The smallest same-top fraction that passes.
    public let minSameTop: Double

    /// Judges `summary`; `maxMeanKL` / `minSameTop` override the kind's defaults.
    public init(summary: KLDivergenceSummary, kind: CandidateKind, maxMeanKL: Double? = nil, minSameTop: Double? = nil) {
        self.init(meanKL: summary.meanKL.value, sameTop: summary.sameTop.value, kind: kind, maxMeanKL: maxMeanKL, minSameTop: minSameTop)
    }

    /// Judges a measured mean KL and same-top fraction.
    public init(meanKL: Double, sameTop: Double, kind: CandidateKind, maxMeanKL: Double? = nil, minSameTop: Double? = nil) {
        self.kind = kind
        self.meanKL = meanKL
        self.sameTop = sameTop
        self.maxMeanKL = maxMeanKL ?? kind.defaultMaxMeanKL
        self.minSameTop = minSameTop ?? kind.defaultMinSameTop
    }

    /// Mean KL within its limit (NaN never passes).
    public var klPassed: Bool { meanKL.isFinite && meanKL <= maxMeanKL }
    /// Same-top fraction at or above its minimum.
    public var sameTopPassed: Bool { sameTop.isFinite && sameTop >= minSameTop }
    /// Both checks pass.
    public var passed: Bool { klPassed && sameTopPassed }

    /// What failed, in words (empty when the verdict passes).
    public var failures: [String] {
        var out: [String] = []
        if !klPassed { out.append("mean KL \(Self.format(meanKL)) exceeds \(Self.format(maxMeanKL))") }
        if !sameTopPassed { out.append("same top \(Self.percent(sameTop)) is below \(Self.percent(minSameTop))") }
        return out
    }

    static func format(_ value: Double) -> String {
        guard value.isFinite else { return "\(value)" }
        let scaled = (value * 1e6).rounded() / 1e6
        return "\(scaled)"
    }

    /// `12.34%` (NaN and infinities as Swift prints them).
    public static func percent(_ fraction: Double) -> String {
        guard fraction.isFinite else { return "\(fraction)" }
        return "\((fraction * 10000).rounded() / 100)%"
    }
}

extension CandidateKind {
    /// Default largest mean KL divergence (nats) for `--text-file` runs, set between the honest
    /// and the broken conversions of the trained fixture (Formats/verify.md, "Text verdict").
    public var defaultMaxMeanKL: Double {
        switch tier {
        case .exact, .f16: return 1e-4
        case .bf16, .eightBit: return 2e-3
        case .fiveToSixBit: return 3e-3
        case .fourBit: return 0.01
        case .threeBit: return 0.015
        case .twoBit: return 0.035
        }
    }

    /// Default smallest "same top token" fraction for `--text-file` runs (Formats/verify.md).
    public var defaultMinSameTop: Double {
        switch tier {
        case .exact, .f16: return 0.99
        case .bf16, .eightBit: return 0.97
        case .fiveToSixBit: return 0.93
        case .fourBit: return 0.9
        case .threeBit: return 0.88
        case .twoBit: return 0.8
        }
    }
}
