import Foundation
import Testing
@testable import MPTFormats
@testable import MPTReference

/// `VerifyVerdict`: the logit check counts (a passing fresh quantization overrules only a default
/// limit); generation adds a check and an empty generation is never a pass.
@Suite struct VerdictTests {
    private func report(relativeL2: Double) -> ParityReport {
        ParityReport(maxAbsoluteDifference: 0, relativeL2: relativeL2, meanKLDivergence: 0, top1Agreement: 1,
                     referencePerplexity: nil, candidatePerplexity: nil)
    }

    /// A quantized candidate whose fresh quantization was scored and passed is judged by it: a
    /// default absolute limit it exceeds is then the format's loss on this model (measured: an
    /// honest Q8_0 of the random-weight MPT-1b bench model, same top 94% under the 97% default,
    /// identical to the fresh quantization in all 146 tensors). An explicit limit, a failing fresh
    /// check and a dense candidate (no fresh logit check) keep the absolute limit deciding.
    @Test func aPassingFreshQuantizationOverrulesOnlyDefaultLimits() throws {
        let tensor = TensorWeightError(tensor: "a", format: "Q8_0", candidateError: 0.1, freshError: 0.1, identical: true)
        let same = FreshLogitCheck(candidateKL: 0.01, freshKL: 0.01, candidateSameTop: 0.9, freshSameTop: 0.9)
        let worse = FreshLogitCheck(candidateKL: 1, freshKL: 0.01, candidateSameTop: 0.9, freshSameTop: 0.9)
        let passing = FreshQuantizationVerdict(weights: WeightErrorReport(tensors: [tensor]), logits: same)
        let failing = FreshQuantizationVerdict(weights: WeightErrorReport(tensors: [tensor]), logits: worse)
        let dense = FreshQuantizationVerdict(weights: WeightErrorReport(tensors: [tensor]), logits: nil)
        let far = report(relativeL2: 10)
        #expect(try VerifyVerdict(report: far, kind: .q8_0, fresh: passing).passed)
        #expect(try !VerifyVerdict(report: far, kind: .q8_0, maxRelativeL2: 0.06, fresh: passing).passed)
        #expect(try !VerifyVerdict(report: far, kind: .q8_0, fresh: failing).passed)
        #expect(try !VerifyVerdict(report: far, kind: .bf16, fresh: dense).passed)
        #expect(try !VerifyVerdict(report: far, kind: .q8_0).passed)
        #expect(passing.overrulesDefaultLimits(explicitLimits: false) && !passing.overrulesDefaultLimits(explicitLimits: true))
    }

    @Test func generationAddsACheckAndNeverReplacesTheLogitOne() throws {
        let agreeing = GenerationAgreement(reference: [1, 2, 3], candidate: [1, 2, 3])
        let disagreeing = GenerationAgreement(reference: [1, 2, 3], candidate: [9, 2, 3], divergenceGap: 5)
        let outside = try VerifyVerdict(report: report(relativeL2: 0.1), kind: .bf16, generation: agreeing)
        #expect(outside.generation?.passed == true)
        #expect(!outside.logits.passed && !outside.passed)
        let within = try VerifyVerdict(report: report(relativeL2: 0.01), kind: .bf16, generation: agreeing)
        #expect(within.passed)
        let diverging = try VerifyVerdict(report: report(relativeL2: 0.01), kind: .bf16, generation: disagreeing)
        #expect(diverging.logits.passed && !diverging.passed)
        #expect(try VerifyVerdict(report: report(relativeL2: 0.01), kind: .bf16).passed)
        #expect(try !VerifyVerdict(report: report(relativeL2: .nan), kind: .bf16, maxRelativeL2: 1).passed)
        #expect(try VerifyVerdict(report: report(relativeL2: 0.2), kind: .exact, maxRelativeL2: 0.3).passed)
        #expect(try VerifyVerdict(report: report(relativeL2: 0), kind: .exact, generation: agreeing, requiredAgreement: 10)
            .generation?.required == 3)
    }

    @Test func emptyGenerationIsAnError() {
        #expect(throws: VerdictError.emptyGeneration) {
            try VerifyVerdict(report: report(relativeL2: 0), kind: .exact, generation: GenerationAgreement(reference: [], candidate: []))
        }
    }

    /// The old CLI took the generation verdict alone: this candidate's logits are far outside
    /// `--max-rel-l2 0` while `--min-agree 0` lets any generation pass.
    @Test func cliFailsOnLogitsEvenWhenGenerationPasses() throws {
        let run = try runTool("mpt-verify", [
            TestPaths.model("mpt-4h-f32"), TestPaths.model("mpt-4h-f16-sharded"), "--tokens", "1,2,3", "--generate", "2",
            "--max-rel-l2", "0", "--min-agree", "0", "--json",
        ])
        #expect(run.status == 1, "\(run.standardOutput)\(run.standardError)")
        let json = try JSONParser.parse(run.standardOutput)
        #expect(json["generation"]?["pass"]?.boolValue == true)
        #expect(json["logits_pass"]?.boolValue == false)
        #expect(json["pass"]?.boolValue == false)
    }

    /// A prompt that fills max_seq_len (64) leaves nothing to generate: exit 2 with one line, not a pass.
    @Test func cliRefusesAGenerationOfZeroTokens() throws {
        let tokens = (1...64).map(String.init).joined(separator: ",")
        for models in [[TestPaths.model("mpt-4h-f32"), TestPaths.model("mpt-4h-f32-bin")], [TestPaths.model("mpt-4h-f32")]] {
            let run = try runTool("mpt-verify", models + ["--tokens", tokens, "--generate", "4"])
            #expect(run.status == 2, "\(run.standardOutput)\(run.standardError)")
            #expect(run.standardError.split(separator: "\n").count == 1, "\(run.standardError)")
            #expect(run.standardError.contains("max_seq_len is 64"), "\(run.standardError)")
            #expect(!run.standardOutput.contains("PASS"))
        }
    }
}
