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
    /// runs once and each candidate is scored against the same compressed log-probs. Returns one
    /// summary per candidate, in order (the first candidate's logits are checked as "candidate",
    /// later ones as "candidate 2", …).
    ///
    /// Layer-major: the chunks go through each model together, in batches of at most
    /// `batchRows` positions, so each layer's weights are read (and their pages released) once
    /// per batch, not once per chunk; only the batch's hidden states are kept. The head is then
    /// applied to the scored rows only, a row block at a time (`LogitHead`). The sums take the
    /// positions in the same order as one chunk at a time, so the summaries are the same.
    public static func score(
        reference: MPTForward, candidates: [MPTForward], tokens: [Int], chunking: TextChunking, bos: Int?,
        batchRows: Int = 4096, progress: ((Int, Int) -> Void)? = nil
    ) throws -> [KLDivergenceSummary] {
        let vocab = reference.config.vocabSize
        for candidate in candidates where candidate.config.vocabSize != vocab {
            throw Failure.vocabularyMismatch(reference: vocab, candidate: candidate.config.vocabSize)
        }
        var sums = [KLDivergenceAccumulator](repeating: KLDivergenceAccumulator(), count: candidates.count)
        let slots = CompressedLogProbs.slots(vocab: vocab)
        let perBatch = max(1, batchRows / chunking.context)
        for batchStart in stride(from: 0, to: chunking.chunks, by: perBatch) {
            let batch = batchStart..<min(chunking.chunks, batchStart + perBatch)
            let windows = batch.map { chunking.window($0, of: tokens, bos: bos) }
            let referenceHead = LogitHead(reference, try reference.hiddenStates(sequences: windows))
            let candidateHeads = try candidates.map { LogitHead($0, try $0.hiddenStates(sequences: windows)) }
            var rows = [UInt16](repeating: 0, count: slots * 2 * referenceHead.blockRows)
            for (index, chunk) in batch.enumerated() {
                let targets = chunking.targets(chunk, of: tokens)
                let first = index * chunking.context + chunking.firstScored
                for block in referenceHead.rowBlocks(first..<(first + targets.count)) {
                    let blockTargets = targets.dropFirst(block.lowerBound - first).prefix(block.count)
                    try referenceHead.withLogits(rows: block) { logits in
                        try requireFinite(logits, model: "reference", chunk: chunk)
                        for (offset, target) in blockTargets.enumerated() {
                            rows[(offset * slots)..<((offset + 1) * slots)].withUnsafeMutableBufferPointer {
                                _ = CompressedLogProbs.compress(UnsafeBufferPointer(rebasing: logits[(offset * vocab)..<((offset + 1) * vocab)]), token: target, into: $0)
                            }
                        }
                    }
                    for (candidateIndex, head) in candidateHeads.enumerated() {
                        try head.withLogits(rows: block) { logits in
                            try requireFinite(logits, model: candidateIndex == 0 ? "candidate" : "candidate \(candidateIndex + 1)", chunk: chunk)
                            for (offset, target) in blockTargets.enumerated() {
                                rows[(offset * slots)..<((offset + 1) * slots)].withUnsafeBufferPointer {
                                    sums[candidateIndex].add(candidate: UnsafeBufferPointer(rebasing: logits[(offset * vocab)..<((offset + 1) * vocab)]), base: $0, token: target)
                                }
                            }
                        }
                    }
                }
                progress?(chunk + 1, chunking.chunks)
            }
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
            let head = LogitHead(candidate, try candidate.hiddenStates(tokens: window), blockRows: base.rowsPerChunk)
            return try head.withLogits(rows: first..<(first + base.rowsPerChunk)) { Array($0) }
        }
    }

    static func requireFinite(_ logits: some Collection<Float>, model: String, chunk: Int) throws {
        var bad = false
        for value in logits where !value.isFinite { bad = true; break }
        if bad { throw Failure.nonFiniteLogits(model: model, chunk: chunk) }
    }
}
