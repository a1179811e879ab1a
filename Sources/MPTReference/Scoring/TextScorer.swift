import MPTFormats

/// Scores a text the way `llama-perplexity --kl-divergence` does: the reference's log-probs
/// (compressed as llama-perplexity stores them) against the candidate's logits, chunk by chunk.
public enum TextScorer {
    /// Why a scoring run cannot produce a summary.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case vocabularyMismatch(reference: Int, candidate: Int)
        case nonFiniteLogits(model: String, chunk: Int)
        case noPositions
        case logitCount(chunk: Int, expected: Int, actual: Int)

        public var description: String {
            switch self {
            case let .vocabularyMismatch(reference, candidate):
                return "the reference has a vocabulary of \(reference) and the candidate \(candidate)"
            case let .nonFiniteLogits(model, chunk):
                return "the \(model)'s logits hold NaN or infinity in chunk \(chunk + 1)"
            case .noPositions:
                return "no position was scored"
            case let .logitCount(chunk, expected, actual):
                return "chunk \(chunk + 1): \(actual) candidate logits, expected \(expected)"
            }
        }
    }

    /// Runs both models over every chunk of `tokens` and returns the statistics. `bos`, when
    /// given, replaces each chunk's first token (llama-perplexity does so when the vocabulary
    /// adds BOS). `progress` is called after each chunk with (chunks done, chunks).
    public static func score(
        reference: MPTForward, candidate: MPTForward, tokens: [Int], chunking: TextChunking, bos: Int?,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> KLDivergenceSummary {
        let summaries = try score(reference: reference, candidates: [candidate], tokens: tokens, chunking: chunking, bos: bos, progress: progress)
        guard let summary = summaries.first else { throw Failure.noPositions }
        return summary
    }

    /// Like `score(reference:candidate:…)` for several candidates on the same text: the reference
    /// runs once per chunk and each candidate is scored against the same compressed log-probs.
    /// Returns one summary per candidate, in order (the first candidate's logits are checked as
    /// "candidate", later ones as "candidate 2", …).
    public static func score(
        reference: MPTForward, candidates: [MPTForward], tokens: [Int], chunking: TextChunking, bos: Int?,
        progress: ((Int, Int) -> Void)? = nil
    ) throws -> [KLDivergenceSummary] {
        let vocab = reference.config.vocabSize
        for candidate in candidates where candidate.config.vocabSize != vocab {
            throw Failure.vocabularyMismatch(reference: vocab, candidate: candidate.config.vocabSize)
        }
        var sums = [KLDivergenceAccumulator](repeating: KLDivergenceAccumulator(), count: candidates.count)
        let slots = CompressedLogProbs.slots(vocab: vocab)
        for chunk in 0..<chunking.chunks {
            let window = chunking.window(chunk, of: tokens, bos: bos)
            let targets = Array(chunking.targets(chunk, of: tokens))
            let referenceLogits = try reference.logits(tokens: window)
            try requireFinite(referenceLogits, model: "reference", chunk: chunk)
            var rows = [UInt16](repeating: 0, count: slots * targets.count)
            for (offset, target) in targets.enumerated() {
                let position = chunking.firstScored + offset
                referenceLogits[(position * vocab)..<((position + 1) * vocab)].withUnsafeBufferPointer { logits in
                    rows[(offset * slots)..<((offset + 1) * slots)].withUnsafeMutableBufferPointer {
                        _ = CompressedLogProbs.compress(logits, token: target, into: $0)
                    }
                }
            }
            for (index, candidate) in candidates.enumerated() {
                let candidateLogits = try candidate.logits(tokens: window)
                try requireFinite(candidateLogits, model: index == 0 ? "candidate" : "candidate \(index + 1)", chunk: chunk)
                for (offset, target) in targets.enumerated() {
                    let position = chunking.firstScored + offset
                    candidateLogits[(position * vocab)..<((position + 1) * vocab)].withUnsafeBufferPointer { logits in
                        rows[(offset * slots)..<((offset + 1) * slots)].withUnsafeBufferPointer { sums[index].add(candidate: logits, base: $0, token: target) }
                    }
                }
            }
            progress?(chunk + 1, chunking.chunks)
        }
        guard sums.allSatisfy({ $0.count > 0 }) else { throw Failure.noPositions }
        return sums.map { $0.summary() }
    }

    /// Scores candidate logits against a llama-perplexity base file: `candidateLogits(chunk)`
    /// gives the `rowsPerChunk × vocab` logits of the scored positions of each chunk (positions
    /// `n_ctx/2 … n_ctx−2`), computed by whichever engine runs the candidate.
    public static func score(
        base: KLBaseFile, chunks: Int? = nil, candidateLogits: (Int) throws -> [Float]
    ) throws -> KLDivergenceSummary {
        var sums = KLDivergenceAccumulator()
        let vocab = base.vocab
        let first = base.context / 2
        for chunk in 0..<min(chunks ?? base.chunks, base.chunks) {
            let logits = try candidateLogits(chunk)
            guard logits.count == base.rowsPerChunk * vocab else {
                throw Failure.logitCount(chunk: chunk, expected: base.rowsPerChunk * vocab, actual: logits.count)
            }
            try requireFinite(logits, model: "candidate", chunk: chunk)
            for row in 0..<base.rowsPerChunk {
                let target = base.tokens[chunk * base.context + first + row + 1]
                try base.withRow(chunk: chunk, row: row) { baseRow in
                    logits[(row * vocab)..<((row + 1) * vocab)].withUnsafeBufferPointer {
                        sums.add(candidate: $0, base: baseRow, token: target)
                    }
                }
            }
        }
        guard sums.count > 0 else { throw Failure.noPositions }
        return sums.summary()
    }

    /// Scores `candidate` (run by MPTKit) against a llama-perplexity base file, on the file's
    /// own tokens (BOS placed as the file's run placed it when `bos` is given).
    public static func score(base: KLBaseFile, candidate: MPTForward, bos: Int?, chunks: Int? = nil) throws -> KLDivergenceSummary {
        guard candidate.config.vocabSize == base.vocab else {
            throw Failure.vocabularyMismatch(reference: base.vocab, candidate: candidate.config.vocabSize)
        }
        let first = base.context / 2
        return try score(base: base, chunks: chunks) { chunk in
            var window = Array(base.tokens[(chunk * base.context)..<((chunk + 1) * base.context)])
            if let bos { window[0] = bos }
            let logits = try candidate.logits(tokens: window)
            return Array(logits[(first * base.vocab)..<((first + base.rowsPerChunk) * base.vocab)])
        }
    }

    static func requireFinite(_ logits: [Float], model: String, chunk: Int) throws {
        var bad = false
        for value in logits where !value.isFinite { bad = true; break }
        if bad { throw Failure.nonFiniteLogits(model: model, chunk: chunk) }
    }
}
