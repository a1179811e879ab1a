/// How closely candidate logits follow reference logits (both `[positions × vocab]`).
public struct ParityReport: Sendable, Equatable, Codable {
    /// `max |reference − candidate|`.
    public var maxAbsoluteDifference: Double
    /// `‖reference − candidate‖₂ / ‖reference‖₂`.
    public var relativeL2: Double
    /// Mean over positions of `KL(softmax(reference) ‖ softmax(candidate))`, in nats.
    public var meanKLDivergence: Double
    /// Fraction of positions where both arg-maxes agree (first index wins ties).
    public var top1Agreement: Double
    /// Perplexity of the reference on `tokens[1...]`; `nil` with fewer than 2 tokens.
    public var referencePerplexity: Double?
    /// Perplexity of the candidate on `tokens[1...]`; `nil` with fewer than 2 tokens.
    public var candidatePerplexity: Double?
}

/// Parity metrics between two logit matrices, computed in `Double` with stable log-sum-exp.
public enum ParityMetrics {
    /// Compares `candidate` with `reference`, both row-major `[positions × vocab]`. `tokens`
    /// (optional, `positions` long) gives the perplexities: position `s` predicts `tokens[s+1]`.
    /// The same sums as feeding the rows one by one to a `ParityAccumulator`.
    public static func compare(
        reference: [Double], candidate: [Double], vocab: Int, tokens: [Int]? = nil
    ) throws -> ParityReport {
        guard vocab > 0, reference.count == candidate.count, reference.count % vocab == 0 else {
            throw ReferenceError.sizeMismatch("parity: \(reference.count) reference and \(candidate.count) candidate logits for vocab \(vocab)")
        }
        let positions = reference.count / vocab
        var accumulator = try ParityAccumulator(vocab: vocab, positions: positions, tokens: tokens)
        for position in 0..<positions {
            let range = (position * vocab)..<((position + 1) * vocab)
            accumulator.add(reference: reference[range], candidate: candidate[range])
        }
        return try accumulator.report()
    }

    /// `Float` candidate and reference.
    public static func compare(reference: [Float], candidate: [Float], vocab: Int, tokens: [Int]? = nil) throws -> ParityReport {
        try compare(reference: reference.map(Double.init), candidate: candidate.map(Double.init), vocab: vocab, tokens: tokens)
    }

    /// `exp(mean over s < positions−1 of −log softmax(logits[s])[tokens[s+1]])`; `nil` when there
    /// are fewer than 2 positions or a token is outside the vocabulary.
    public static func perplexity(logits: [Double], vocab: Int, tokens: [Int]) -> Double? {
        guard vocab > 0, tokens.count >= 2, logits.count >= tokens.count * vocab else { return nil }
        var total = 0.0
        for position in 0..<(tokens.count - 1) {
            let target = tokens[position + 1]
            guard target >= 0, target < vocab else { return nil }
            let row = logits[(position * vocab)..<((position + 1) * vocab)]
            total += logSumExp(row) - row[row.startIndex + target]
        }
        return ReferenceMath.exp(total / Double(tokens.count - 1))
    }

    /// `log Σ exp(x)`, shifted by the maximum.
    public static func logSumExp(_ row: ArraySlice<Double>) -> Double {
        guard let maximum = row.max(), maximum.isFinite else { return row.max() ?? -.infinity }
        var total = 0.0
        for value in row { total += ReferenceMath.exp(value - maximum) }
        return maximum + log(total)
    }

    /// `Σ p log(p/q)` with `p = softmax(reference)`, `q = softmax(candidate)`.
    static func klDivergence(_ reference: ArraySlice<Double>, _ candidate: ArraySlice<Double>) -> Double {
        let referenceNorm = logSumExp(reference), candidateNorm = logSumExp(candidate)
        var total = 0.0
        for (r, c) in zip(reference, candidate) {
            let logP = r - referenceNorm
            let p = ReferenceMath.exp(logP)
            if p > 0 { total += p * (logP - (c - candidateNorm)) }
        }
        return total
    }

    /// Index of the first maximum.
    static func argmax(_ row: ArraySlice<Double>) -> Int {
        var best = row.startIndex
        for index in row.indices where row[index] > row[best] { best = index }
        return best - row.startIndex
    }

    static func log(_ x: Double) -> Double { ReferenceMath.log(x) }
}
