import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph
@testable import MPTReference

/// Streaming logits (issue 17): the head applied row block by row block, the metrics fed block
/// by block, the layer-major batched forward and the streamed `--dump-logits` all give exactly
/// what the whole `[tokens × vocab]` computation gives.
@Suite struct StreamedLogitsTests {
    static func forward(_ name: String) throws -> (MPTForward, [Int]) {
        let directory = TestPaths.model(name)
        let model = try MPTModel(checkpoint: try CheckpointLoader.open(directory))
        let tokens = try #require(try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: directory + "/reference/tokens.json"))))
            .arrayValue?.compactMap(\.intValue))
        return (try MPTForward(config: model.config, weights: ModelWeightProvider(model: model)), tokens)
    }

    /// Every row of every block equals the whole product's row bit for bit, whatever the block
    /// size (a 1-row request too, which alone would take the few-rows kernel).
    @Test(arguments: ["mpt-4h-f32", "mpt-6h-clip-bf16"])
    func blocksEqualWholeLogits(name: String) throws {
        let (forward, tokens) = try Self.forward(name)
        let whole = try forward.logits(tokens: tokens)
        let vocab = forward.config.vocabSize
        let hidden = try forward.hiddenStates(tokens: tokens)
        for blockRows in [1, 5, 7, 128] {
            let head = LogitHead(forward, hidden, blockRows: blockRows)
            let blocks = head.rowBlocks()
            #expect(blocks.first?.lowerBound == 0 && blocks.last?.upperBound == tokens.count)
            #expect(blocks.allSatisfy { $0.count > MatrixMultiply.fewRowsLimit })
            var streamed: [Float] = []
            for block in blocks { try head.withLogits(rows: block) { streamed += $0 } }
            #expect(streamed.map(\.bitPattern) == whole.map(\.bitPattern), "blocks of \(blockRows)")
        }
        let single = try LogitHead(forward, hidden).withLogits(rows: 9..<10) { Array($0) }
        #expect(single.map(\.bitPattern) == whole[(9 * vocab)..<(10 * vocab)].map(\.bitPattern))
    }

    /// The accumulator over blocks reports exactly what `ParityMetrics.compare` reports on the
    /// whole matrices (f32 candidate against the f64 reference and against a second model); and
    /// a block left out or fed twice is refused or changes the report.
    @Test func streamedMetricsEqualWholeMetrics() throws {
        let (reference, tokens) = try Self.forward("mpt-6h-clip-bf16")
        let (candidate, _) = try Self.forward("mpt-6h-clip-bf16-bin-sharded")
        let vocab = reference.config.vocabSize
        let exact = try reference.logitsDouble(tokens: tokens)
        let float = try candidate.logits(tokens: tokens)
        let whole = try ParityMetrics.compare(reference: exact, candidate: float.map(Double.init), vocab: vocab, tokens: tokens)

        let exactHead = LogitHead(reference, try reference.hiddenStates(tokens: tokens, as: Double.self))
        let floatHead = LogitHead(candidate, try candidate.hiddenStates(tokens: tokens), blockRows: 5)
        var accumulator = try ParityAccumulator(vocab: vocab, positions: tokens.count, tokens: tokens)
        for block in floatHead.rowBlocks() {
            try exactHead.withLogits(rows: block) { exactRows in
                try floatHead.withLogits(rows: block) { accumulator.add(reference: .double(exactRows), candidate: .float($0)) }
            }
        }
        #expect(try accumulator.report() == whole)
        #expect(whole.relativeL2 > 0)  // the f32/f64 pair differs: the equality is not trivially 0 == 0

        var short = try ParityAccumulator(vocab: vocab, positions: tokens.count, tokens: tokens)
        let firstBlock = try #require(floatHead.rowBlocks().first)
        try floatHead.withLogits(rows: firstBlock) { short.add(reference: .float($0), candidate: .float($0)) }
        #expect(throws: ReferenceError.self) { _ = try short.report() }

        // Rows fed out of order give another report (the sums are order-bound, so order matters).
        var shuffled = try ParityAccumulator(vocab: vocab, positions: tokens.count, tokens: tokens)
        for block in floatHead.rowBlocks().reversed() {
            try exactHead.withLogits(rows: block) { exactRows in
                try floatHead.withLogits(rows: block) { shuffled.add(reference: .double(exactRows), candidate: .float($0)) }
            }
        }
        #expect(try shuffled.report() != whole)
    }

    /// Several sequences run together (layer-major) give each sequence's own hidden states.
    @Test func batchedHiddenStatesEqualSingleRuns() throws {
        let (forward, tokens) = try Self.forward("mpt-4h-bias-qkln-f32")
        let sequences = [Array(tokens.prefix(8)), Array(tokens.suffix(8)), Array(tokens.prefix(8).reversed())]
        let batched = try forward.hiddenStates(sequences: sequences)
        for (index, sequence) in sequences.enumerated() {
            let single = try forward.hiddenStates(tokens: sequence)
            let d = forward.config.dModel
            #expect(Array(batched.values[(index * 8 * d)..<((index + 1) * 8 * d)]).map(\.bitPattern) == single.values.map(\.bitPattern))
        }
        #expect(throws: ReferenceError.self) { _ = try forward.hiddenStates(sequences: [[0, 1, 2], [0, 1]]) }
    }

    /// Layer-major text scoring in batches of two chunks reports what scoring each chunk's whole
    /// logits one chunk at a time reports.
    @Test func layerMajorScoringEqualsChunkByChunk() throws {
        let (reference, _) = try Self.forward("mpt-4h-f32")
        let (candidate, _) = try Self.forward("mpt-4h-f16-sharded")
        let vocab = reference.config.vocabSize
        let text = (0..<80).map { ($0 * 7919 + 11) % vocab }
        let chunking = try TextChunking(tokenCount: text.count, context: 16, limit: nil)
        let streamed = try TextScorer.score(reference: reference, candidates: [candidate], tokens: text, chunking: chunking,
                                            bos: 1, batchRows: 32)
        var sums = KLDivergenceAccumulator()
        var row = [UInt16](repeating: 0, count: CompressedLogProbs.slots(vocab: vocab))
        for chunk in 0..<chunking.chunks {
            let window = chunking.window(chunk, of: text, bos: 1)
            let referenceLogits = try reference.logits(tokens: window), candidateLogits = try candidate.logits(tokens: window)
            for (offset, target) in chunking.targets(chunk, of: text).enumerated() {
                let range = ((chunking.firstScored + offset) * vocab)..<((chunking.firstScored + offset + 1) * vocab)
                referenceLogits[range].withUnsafeBufferPointer { logits in
                    row.withUnsafeMutableBufferPointer { _ = CompressedLogProbs.compress(logits, token: target, into: $0) }
                }
                candidateLogits[range].withUnsafeBufferPointer { logits in
                    row.withUnsafeBufferPointer { sums.add(candidate: logits, base: $0, token: target) }
                }
            }
        }
        #expect(streamed.count == 1)
        #expect(streamed[0] == sums.summary())
        #expect(streamed[0].positions == chunking.chunks * chunking.scoredPerChunk)
    }
}
