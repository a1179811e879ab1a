import Foundation
import MPTCore
import Testing
@testable import MPTReference

/// The tools say which kernel level the process runs and how fast generation went: `mpt-inspect`
/// (text and JSON) names `KernelLevel.active`, and `mpt-generate`'s last stderr line gives the
/// level, the prefill and the decoding rates (absent under `--quiet`).
@Suite("Kernel level and speed reports")
struct KernelLevelReportTests {
    @Test func inspectNamesTheKernelLevel() throws {
        let text = try runTool("mpt-inspect", [TestPaths.model("mpt-4h-f32")])
        #expect(text.status == 0, "\(text.standardError)")
        #expect(text.standardOutput.contains("\nkernels: \(KernelLevel.active.rawValue) ("), "\(text.standardOutput)")
        let json = try runTool("mpt-inspect", ["--json", TestPaths.model("mpt-4h-f32")])
        #expect(json.standardOutput.contains("\"kernel_level\": \"\(KernelLevel.active.rawValue)\"")
                || json.standardOutput.contains("\"kernel_level\":\"\(KernelLevel.active.rawValue)\""), "\(json.standardOutput)")
        // Forced to the portable copy, the report follows.
        let forced = try runTool("mpt-inspect", [TestPaths.model("mpt-4h-f32")], environment: ["MPTKIT_KERNELS": "portable"])
        #expect(forced.standardOutput.contains("\nkernels: portable ("), "\(forced.standardOutput)")
    }

    @Test func generateReportsPrefillAndDecodeRates() throws {
        let run = try runTool("mpt-generate", [TestPaths.model("mpt-4h-f32"), "--tokens", "5,6,7", "--max-tokens", "6"])
        #expect(run.status == 0, "\(run.standardError)")
        let line = try #require(run.standardError.split(separator: "\n").last.map(String.init))
        let pattern = #"^mpt-generate: kernels (portable|avx2|avx512); prefill 3 tokens in [0-9.]+ s \([0-9.]+ tokens/s\); decode 5 tokens in [0-9.]+ s \([0-9.]+ tokens/s\)$"#
        #expect(line.range(of: pattern, options: .regularExpression) != nil, "\(line)")
        #expect(line.contains("kernels \(KernelLevel.active.rawValue);"))
        let quiet = try runTool("mpt-generate", [TestPaths.model("mpt-4h-f32"), "--tokens", "5,6,7", "--max-tokens", "6", "--quiet"])
        #expect(quiet.status == 0)
        #expect(!quiet.standardError.contains("decode"), "\(quiet.standardError)")
    }

    /// The rates divide the counted tokens by their seconds, and a run with no step reports 0.
    @Test func timingRates() {
        var timing = GenerationTiming()
        #expect(timing.decodeRate == 0 && timing.prefillRate == 0)
        timing.prefillTokens = 8
        timing.prefillSeconds = 2
        timing.decodeSteps = 15
        timing.decodeSeconds = 10
        #expect(timing.prefillRate == 4)
        #expect(timing.decodeRate == 1.5)
    }
}
