import Foundation
import MPTFormats
import Testing
@testable import MPTReference

/// `mpt-verify REF CAND --text-file` judges: honest conversions of the trained fixture pass with
/// the default limits, every broken one of issue 16 fails (exit 1, naming what is off). Broken
/// candidates are made here by editing a fresh conversion's bytes (`CandidateCorruption`).
@Suite("Text verdict")
struct TextVerdictTests {
    static let model = TestPaths.model("mpt-trained-d256")

    /// Scores `candidate` against the bf16 fixture on 2 chunks of 64 held-out tokens (62 scored
    /// positions: the debug-build forward is slow on the shared machine), printing the measurement.
    static func verify(_ candidate: String, _ extra: [String] = []) throws -> (status: Int32, json: JSONValue?, output: String) {
        let run = try runTool("mpt-verify", [
            model, candidate, "--text-file", model + "/heldout.txt", "--ctx", "64", "--chunks", "2", "--json",
        ] + extra)
        let json = try? JSONParser.parse(run.standardOutput)
        let kl = json?["mean_kl"]?["value"]?.doubleValue ?? .nan, top = json?["same_top"]?["value"]?.doubleValue ?? .nan
        print("text verdict \((candidate as NSString).lastPathComponent) \(extra): mean KL \(kl), same top \(top)")
        return (run.status, json, run.standardOutput + run.standardError)
    }

    static func convert(_ arguments: [String], to output: String) throws {
        let run = try runTool("mpt-convert", [model, output] + arguments)
        guard run.status == 0 else { throw CandidateCorruption.Failure(description: run.standardError) }
    }

    @Test(arguments: [
        ("f16", ["--dtype", "f16"], "f16"),
        ("nf4", ["--quant", "nf4"], "nf4"),
        ("int8", ["--quant", "int8"], "int8"),
        ("q8_0.gguf", ["--quant", "q8_0"], "q8_0"),
        ("q4_0.gguf", ["--quant", "q4_0"], "q4_0"),
    ])
    func honestConversionsPass(name: String, arguments: [String], kind: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.convert(arguments, to: directory + "/" + name)
        let result = try Self.verify(directory + "/" + name)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.json?["kind"]?.stringValue == kind)
        #expect(result.json?["pass"]?.boolValue == true, "\(result.output)")
        // MPTKit's own conversion is byte-identical to the fresh quantization the verdict makes.
        #expect(result.json?["fresh_quantization"]?["identical"]?.boolValue == true, "\(result.output)")
        #expect(result.json?["fresh_quantization"]?["pass"]?.boolValue == true, "\(result.output)")
    }

    /// Every broken candidate of issue 16 fails (exit 1), the text verdict and the fresh-quantization
    /// verdict each on its own.
    @Test(arguments: CandidateCorruption.Broken.allCases)
    func brokenConversionsFail(_ broken: CandidateCorruption.Broken) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try broken.make(in: directory) { try Self.convert($0, to: $1) }
        let result = try Self.verify(path)
        #expect(result.status == 1, "\(broken): \(result.output)")
        #expect(result.json?["pass"]?.boolValue == false, "\(broken): \(result.output)")
        #expect(result.json?["failures"]?.arrayValue?.isEmpty == false, "\(broken): \(result.output)")
        // The fresh-quantization check fails on its own too, naming the broken tensors.
        let fresh = result.json?["fresh_quantization"]
        #expect(fresh?["pass"]?.boolValue == false, "\(broken): \(result.output)")
        #expect(fresh?["beyond_margin"]?.arrayValue?.isEmpty == false, "\(broken): \(result.output)")
    }

    /// The verdict's rules: each check can fail alone, NaN never passes, options override defaults.
    @Test func verdictRules() {
        let pass = TextVerdict(meanKL: 0.001, sameTop: 0.99, kind: .q8_0)
        #expect(pass.passed && pass.failures.isEmpty)
        let kl = TextVerdict(meanKL: CandidateKind.q8_0.defaultMaxMeanKL * 1.01, sameTop: 1, kind: .q8_0)
        #expect(!kl.passed && !kl.klPassed && kl.sameTopPassed && kl.failures.count == 1)
        let top = TextVerdict(meanKL: 0, sameTop: CandidateKind.q8_0.defaultMinSameTop - 0.01, kind: .q8_0)
        #expect(!top.passed && top.klPassed && !top.sameTopPassed)
        #expect(!TextVerdict(meanKL: .nan, sameTop: 1, kind: .q4_0).passed)
        #expect(!TextVerdict(meanKL: 0, sameTop: .nan, kind: .q4_0).passed)
        #expect(TextVerdict(meanKL: 0.5, sameTop: 0.5, kind: .exact, maxMeanKL: 1, minSameTop: 0.4).passed)
        for kind in CandidateKind.allCases {
            #expect(kind.defaultMaxMeanKL > 0 && kind.defaultMinSameTop > 0 && kind.defaultMinSameTop < 1)
        }
    }

    /// `--max-mean-kl` takes over the default: 0 fails an honest Q8_0 conversion, and a bad value is refused.
    @Test func maxMeanKLOption() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.convert(["--quant", "q8_0"], to: directory + "/q8.gguf")
        let strict = try Self.verify(directory + "/q8.gguf", ["--max-mean-kl", "0"])
        #expect(strict.status == 1, "\(strict.output)")
        #expect(strict.json?["max_mean_kl"]?.doubleValue == 0)
        for bad in [["--max-mean-kl", "-1"], ["--min-same-top", "1.5"]] {
            #expect(try Self.verify(directory + "/q8.gguf", bad).status == 64)
        }
    }

    /// `--kl-base`: the model (here our Q4_0 file, the one llama-perplexity scored for the golden)
    /// is judged against llama-perplexity's base logits with its kind's text verdict; a stricter
    /// limit and a Q4_0 file with every scale 10% off fail.
    @Test func klBaseRunsAreJudged() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.convert(["--quant", "q4_0"], to: directory + "/q4.gguf")
        let base = TestPaths.fixture("goldens/kld_stats/base.kld")
        let honest = try runTool("mpt-verify", [directory + "/q4.gguf", "--kl-base", base])
        #expect(honest.status == 0, "\(honest.standardOutput)\(honest.standardError)")
        #expect(honest.standardOutput.contains("PASS"), "\(honest.standardOutput)")
        let strict = try runTool("mpt-verify", [directory + "/q4.gguf", "--kl-base", base, "--max-mean-kl", "0"])
        #expect(strict.status == 1, "\(strict.standardOutput)")
        try CandidateCorruption.scaleGGUFBlocks(directory + "/q4.gguf", to: directory + "/q4-off.gguf", factor: 1.1)
        let broken = try runTool("mpt-verify", [directory + "/q4-off.gguf", "--kl-base", base])
        #expect(broken.status == 1, "\(broken.standardOutput)")
    }
}
