/// `ParityMetrics.compare` fed one logit row at a time, so the reference's and the candidate's
/// logits need never be held whole: each running sum takes the rows in position order, so the
/// report equals `compare` over the whole matrices bit for bit.
public struct ParityAccumulator: Sendable {
    /// Logits per row.
    public let vocab: Int
    /// Rows expected (`report` checks they all came).
    public let positions: Int
    private let tokens: [Int]?
    private var added = 0
    private var maxDifference = 0.0, differenceSquares = 0.0, referenceSquares = 0.0
    private var klTotal = 0.0
    private var agreements = 0
    private var referenceLoss: Double? = 0, candidateLoss: Double? = 0
    private var referenceRow: [Double], candidateRow: [Double]

    /// An empty accumulator for `positions` rows of `vocab` logits; `tokens` (optional,
    /// `positions` long) gives the perplexities: position `s` predicts `tokens[s+1]`.
    public init(vocab: Int, positions: Int, tokens: [Int]? = nil) throws {
        guard vocab > 0, positions >= 0 else { throw ReferenceError.sizeMismatch("parity: \(positions) positions of vocab \(vocab)") }
        if let tokens, tokens.count != positions {
            throw ReferenceError.sizeMismatch("parity: \(tokens.count) tokens for \(positions) positions")
        }
        self.vocab = vocab
        self.positions = positions
        self.tokens = tokens
        if let tokens, tokens.count < 2 || tokens.dropFirst().contains(where: { $0 < 0 || $0 >= vocab }) {
            (referenceLoss, candidateLoss) = (nil, nil)
        }
        referenceRow = []
        candidateRow = []
    }

    /// Adds the next position's rows (`vocab` logits each).
    public mutating func add(reference: ArraySlice<Double>, candidate: ArraySlice<Double>) {
        for (r, c) in zip(reference, candidate) {
            let difference = abs(r - c)
            maxDifference = difference.isNaN ? .nan : max(maxDifference, difference)
            differenceSquares += (r - c) * (r - c)
            referenceSquares += r * r
        }
        klTotal += ParityMetrics.klDivergence(reference, candidate)
        if ParityMetrics.argmax(reference) == ParityMetrics.argmax(candidate) { agreements += 1 }
        if let tokens, added + 1 < tokens.count {
            let target = tokens[added + 1]
            referenceLoss = referenceLoss.map { $0 + (ParityMetrics.logSumExp(reference) - reference[reference.startIndex + target]) }
            candidateLoss = candidateLoss.map { $0 + (ParityMetrics.logSumExp(candidate) - candidate[candidate.startIndex + target]) }
        }
        added += 1
    }

    /// Adds the next `rows.count / vocab` positions of both (`[rows × vocab]` each, the same
    /// number of rows), widened to `Double` one row at a time.
    public mutating func add(reference: LogitRows, candidate: LogitRows) {
        for row in 0..<(min(reference.count, candidate.count) / vocab) {
            reference.widen(row: row, vocab: vocab, into: &referenceRow)
            candidate.widen(row: row, vocab: vocab, into: &candidateRow)
            add(reference: referenceRow[...], candidate: candidateRow[...])
        }
    }

    /// The report over every position added; throws when fewer or more than `positions` came.
    public func report() throws -> ParityReport {
        guard added == positions else { throw ReferenceError.sizeMismatch("parity: \(added) rows for \(positions) positions") }
        let perplexity: (Double?) -> Double? = { loss in
            guard let loss, let tokens = self.tokens else { return nil }
            return ReferenceMath.exp(loss / Double(tokens.count - 1))
        }
        return ParityReport(
            maxAbsoluteDifference: maxDifference,
            relativeL2: referenceSquares > 0 ? (differenceSquares / referenceSquares).squareRoot() : (differenceSquares == 0 ? 0 : .infinity),
            meanKLDivergence: positions > 0 ? klTotal / Double(positions) : 0,
            top1Agreement: positions > 0 ? Double(agreements) / Double(positions) : 1,
            referencePerplexity: perplexity(referenceLoss),
            candidatePerplexity: perplexity(candidateLoss))
    }
}

/// Consecutive logit rows (`[rows × vocab]`, row-major) in the precision they were computed or
/// stored in, lent by their producer (`LogitHead`, a stored `.npy`).
public enum LogitRows {
    case float(UnsafeBufferPointer<Float>)
    case double(UnsafeBufferPointer<Double>)

    /// Elements (rows × vocab).
    public var count: Int {
        switch self {
        case let .float(values): return values.count
        case let .double(values): return values.count
        }
    }

    /// Row `row` widened to `Double` into `out` (resized to `vocab`).
    func widen(row: Int, vocab: Int, into out: inout [Double]) {
        if out.count != vocab { out = [Double](repeating: 0, count: vocab) }
        let base = row * vocab
        switch self {
        case let .float(values): for i in 0..<vocab { out[i] = Double(values[base + i]) }
        case let .double(values): for i in 0..<vocab { out[i] = values[base + i] }
        }
    }
}
