import Foundation
import MPTFormats
import MPTReference
import Testing

/// Issue 16 item 2a: fed llama-perplexity's own `--kl-divergence-base` file and the very candidate
/// logits its `--kl-divergence` run scored, `TextScorer` reproduces every statistic that run
/// printed, to the printed precision. Made by `Fixtures/scripts/kld_statistics_golden.sh`: the
/// trained fixture as F32 GGUF (base) and Q4_0 GGUF (candidate), heldout.txt, `-c 64 --chunks 4`.
@Suite("KL statistics golden")
struct KLStatisticsGoldenTests {
    /// A printed number and the half-unit of its last printed digit.
    struct Printed { let value: Double; let halfUnit: Double }

    /// The numbers after the `:` of the first line starting with `label` (`±` and `%` dropped).
    static func printed(_ label: String, in text: String) throws -> [Printed] {
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix(label) }, "no line \(label)")
        let tail = try #require(line.split(separator: ":", maxSplits: 1).last)
        return tail.split(whereSeparator: { $0 == " " || $0 == "±" || $0 == "%" }).compactMap { token in
            guard let value = Double(token) else { return nil }
            let decimals = token.split(separator: ".").dropFirst().first?.count ?? 0
            return Printed(value: value, halfUnit: 0.5 * pow(10, -Double(decimals)))
        }
    }

    @Test func statisticsMatchLlamaPerplexity() throws {
        let directory = TestPaths.fixture("goldens/kld_stats")
        let text = try String(contentsOfFile: directory + "/perplexity.txt", encoding: .utf8)
        let base = try KLBaseFile(path: directory + "/base.kld")
        let logits = try NpyArray(contentsOf: directory + "/cand_logits.npy")
        #expect(base.context == 64 && base.chunks == 4 && base.vocab == 8192 && base.rowsPerChunk == 31)
        #expect(logits.shape == [base.chunks * base.rowsPerChunk, base.vocab])
        let rows = base.rowsPerChunk * base.vocab
        let s = try TextScorer.score(base: base) { chunk in
            logits.values[(chunk * rows)..<((chunk + 1) * rows)].map { Float($0) }
        }
        #expect(s.positions == 124)
        func check(_ label: String, _ ours: [Double], scale: Double = 1) throws {
            let numbers = try Self.printed(label, in: text)
            #expect(numbers.count == ours.count, "\(label): \(numbers.map(\.value))")
            for (printed, value) in zip(numbers, ours) {
                // Printed with printf's rounding: ours must round to the same digits (half a unit
                // of the last digit, plus 1e-9 of slack for the decimal→binary parse).
                #expect(abs(scale * value - printed.value) <= printed.halfUnit + 1e-9,
                        "\(label) ours \(scale * value) printed \(printed.value)")
            }
        }
        try check("Mean PPL(Q) ", [s.candidatePerplexity.value, s.candidatePerplexity.error])
        try check("Mean PPL(base) ", [s.referencePerplexity.value, s.referencePerplexity.error])
        try check("Cor(ln(PPL(Q)), ln(PPL(base)))", [s.logPerplexityCorrelation], scale: 100)
        try check("Mean ln(PPL(Q)/PPL(base))", [s.logPerplexityRatio.value, s.logPerplexityRatio.error])
        try check("Mean    KLD", [s.meanKL.value, s.meanKL.error])
        try check("Maximum KLD", [s.maxKL])
        try check("99.9%   KLD", [s.kl999])
        try check("99.0%   KLD", [s.kl99])
        try check("95.0%   KLD", [s.kl95])
        try check("90.0%   KLD", [s.kl90])
        try check("Median  KLD", [s.medianKL])
        try check("Mean    Δp", [s.meanProbabilityDifference.value, s.meanProbabilityDifference.error], scale: 100)
        try check("RMS Δp", [s.rmsProbabilityDifference.value, s.rmsProbabilityDifference.error], scale: 100)
        try check("Same top p", [s.sameTop.value, s.sameTop.error], scale: 100)
    }

    /// The check bites: one candidate logit changed moves a printed statistic past its precision.
    @Test func aChangedLogitIsSeen() throws {
        let directory = TestPaths.fixture("goldens/kld_stats")
        let base = try KLBaseFile(path: directory + "/base.kld")
        let logits = try NpyArray(contentsOf: directory + "/cand_logits.npy")
        let rows = base.rowsPerChunk * base.vocab
        let text = try String(contentsOfFile: directory + "/perplexity.txt", encoding: .utf8)
        let target = base.tokens[base.context / 2 + 1]
        let s = try TextScorer.score(base: base) { chunk in
            var values = logits.values[(chunk * rows)..<((chunk + 1) * rows)].map { Float($0) }
            if chunk == 0 { values[target] -= 0.01 }
            return values
        }
        let printed = try Self.printed("Mean PPL(Q) ", in: text)
        #expect(abs(s.candidatePerplexity.value - printed[0].value) > printed[0].halfUnit)
    }
}
