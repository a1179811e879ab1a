import Foundation
import MPTCore
import MPTFormats
import MPTReference
import Testing

/// The llama-perplexity statistics on synthetic logits: properties that must hold whatever the
/// numbers, and the refusals. (The numbers themselves are checked against llama-perplexity's
/// printed output on a committed base file.)
@Suite("Text scoring statistics")
struct TextScoringTests {
    /// Deterministic pseudo-random logits (`positions × vocab`).
    static func logits(positions: Int, vocab: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<(positions * vocab)).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 4096) / 512
        }
    }

    static func accumulate(reference: [Float], candidate: [Float], vocab: Int, tokens: [Int]) -> KLDivergenceAccumulator {
        var sums = KLDivergenceAccumulator()
        var row = [UInt16](repeating: 0, count: CompressedLogProbs.slots(vocab: vocab))
        for position in 0..<(reference.count / vocab) {
            let range = (position * vocab)..<((position + 1) * vocab)
            reference[range].withUnsafeBufferPointer { ref in
                row.withUnsafeMutableBufferPointer { _ = CompressedLogProbs.compress(ref, token: tokens[position], into: $0) }
            }
            candidate[range].withUnsafeBufferPointer { cand in
                row.withUnsafeBufferPointer { sums.add(candidate: cand, base: $0, token: tokens[position]) }
            }
        }
        return sums
    }

    @Test func identicalModelsAgree() throws {
        let vocab = 64, positions = 200
        let logits = Self.logits(positions: positions, vocab: vocab, seed: 7)
        let tokens = (0..<positions).map { ($0 * 13) % vocab }
        let summary = Self.accumulate(reference: logits, candidate: logits, vocab: vocab, tokens: tokens).summary()
        #expect(summary.positions == positions)
        #expect(summary.sameTop.value == 1)
        // Only the uint16 compression separates the two: KL within 1e-4, PPLs within 1e-4 relative.
        #expect(abs(summary.meanKL.value) < 1e-4, "mean KL \(summary.meanKL.value)")
        #expect(abs(summary.logPerplexityRatio.value) < 1e-4)
        #expect(abs(summary.candidatePerplexity.value / summary.referencePerplexity.value - 1) < 1e-4)
        #expect(summary.rmsProbabilityDifference.value < 1e-4)
    }

    @Test func differentModelsDisagree() throws {
        let vocab = 64, positions = 200
        let reference = Self.logits(positions: positions, vocab: vocab, seed: 7)
        let unrelated = Self.logits(positions: positions, vocab: vocab, seed: 99)
        let tokens = (0..<positions).map { ($0 * 13) % vocab }
        let summary = Self.accumulate(reference: reference, candidate: unrelated, vocab: vocab, tokens: tokens).summary()
        #expect(summary.meanKL.value > 1, "mean KL \(summary.meanKL.value)")
        #expect(summary.sameTop.value < 0.2)
        #expect(summary.meanKL.error > 0 && summary.sameTop.error > 0)
        #expect(summary.maxKL >= summary.kl999 && summary.kl999 >= summary.kl99 && summary.kl99 >= summary.medianKL)
    }

    @Test func chunkingFollowsLlamaPerplexity() throws {
        let plan = try TextChunking(tokenCount: 1100, context: 256, limit: nil)
        #expect(plan.chunks == 4 && plan.firstScored == 128 && plan.scoredPerChunk == 127)
        let tokens = Array(0..<1100)
        #expect(plan.window(1, of: tokens, bos: 0).first == 0)
        #expect(plan.window(1, of: tokens, bos: nil).first == 256)
        #expect(Array(plan.targets(1, of: tokens)) == Array(385..<512))
        #expect(try TextChunking(tokenCount: 1100, context: 256, limit: 2).chunks == 2)
        #expect(throws: TextChunking.Failure.self) { try TextChunking(tokenCount: 511, context: 256, limit: nil) }
        #expect(throws: TextChunking.Failure.self) { try TextChunking(tokenCount: 100, context: 2, limit: nil) }
    }

    @Test func nearestIntIsGGMLs() {
        #expect(CompressedLogProbs.nearestInt(2.5) == 2)
        #expect(CompressedLogProbs.nearestInt(3.5) == 4)
        #expect(CompressedLogProbs.nearestInt(65534.6) == 65535)
    }

    /// A base file's header and size are checked before anything is read.
    @Test func hostileBaseFilesAreRefused() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        func write(_ bytes: [UInt8]) throws -> String {
            let path = directory + "/base-\(bytes.count).kld"
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            return path
        }
        func le32(_ value: Int32) -> [UInt8] { withUnsafeBytes(of: value.littleEndian) { Array($0) } }
        let magic = Array("_logits_".utf8)
        // Valid: n_ctx 4, vocab 3, 1 chunk: 4 tokens, 1 row of 2·2+4 = 8 slots.
        let valid = magic + le32(4) + le32(3) + le32(1) + le32(0) + le32(1) + le32(2) + le32(0) + [UInt8](repeating: 0, count: 16)
        let file = try KLBaseFile(path: try write(valid))
        #expect(file.context == 4 && file.vocab == 3 && file.chunks == 1 && file.rowsPerChunk == 1 && file.tokens == [0, 1, 2, 0])
        let cases: [[UInt8]] = [
            Array("_logitz_".utf8) + Array(valid.dropFirst(8)),
            Array(valid.dropLast(1)),
            valid + [0, 0],
            magic + le32(4) + le32(-3) + le32(1),
            magic + le32(4) + le32(3) + le32(Int32.max),
            magic + le32(4) + le32(3) + le32(1) + le32(0) + le32(7) + le32(2) + le32(0) + [UInt8](repeating: 0, count: 16),
            Array(magic.prefix(5)),
        ]
        for bytes in cases {
            let path = try write(bytes)
            #expect(throws: KLBaseFileError.self, "\(bytes.count) bytes") { try KLBaseFile(path: path) }
        }
        #expect(cases.count == 7)
    }
}
