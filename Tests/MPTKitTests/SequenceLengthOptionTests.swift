import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import Testing
@testable import MPTCLI

@Suite("--max-seq-len and MPTKIT_KERNELS in the tools")
struct SequenceLengthOptionTests {
    /// 70 ids (the fixture's max_seq_len is 64).
    static let longTokens = (0..<70).map { String(($0 * 7) % 50) }.joined(separator: ",")

    /// An ALiBi model runs past its config's max_seq_len with `--max-seq-len`, and is refused
    /// without it (the rule bites).
    @Test func alibiModelRunsLonger() throws {
        let model = TestPaths.model("mpt-4h-f32")
        let refused = try runTool("mpt-verify", [model, "--tokens", Self.longTokens])
        #expect(refused.status == 2, "\(refused.standardError)")
        let run = try runTool("mpt-verify", [model, "--tokens", Self.longTokens, "--max-seq-len", "128", "--threads", "1"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.contains("70 tokens"), "\(run.standardOutput)")
        let generate = try runTool("mpt-generate", [model, "--tokens", Self.longTokens, "--max-tokens", "2", "--max-seq-len", "80", "--threads", "1"])
        #expect(generate.status == 0, "\(generate.standardError)")
    }

    /// Text scoring with a context past max_seq_len (64) needs `--max-seq-len` too.
    @Test func textScoringRunsLongerContexts() throws {
        let model = TestPaths.model("mpt-neox-tok-f16")
        let text = TestPaths.model("mpt-trained-d256") + "/heldout.txt"
        let arguments = [model, model, "--text-file", text, "--ctx", "80", "--chunks", "2", "--threads", "1"]
        let refused = try runTool("mpt-verify", arguments)
        #expect(refused.status == 2, "\(refused.standardError)")
        #expect(refused.standardError.contains("max_seq_len 64"), "\(refused.standardError)")
        let run = try runTool("mpt-verify", arguments + ["--max-seq-len", "128", "--json"])
        #expect(run.status == 0, "\(run.standardError)")
        let json = try JSONParser.parse(run.standardOutput)
        #expect(json["context"]?.intValue == 80, "\(run.standardOutput)")
    }

    /// A model with learned positions is refused in one line naming the file.
    @Test func learnedPositionsAreRefused() throws {
        let path = TestPaths.model("mpt-4h-f32")
        var model = try ModelLoading.model(at: path)
        let option = try SequenceLengthOption.parse(["--max-seq-len", "128"])
        #expect(try option.apply(to: model, path: path).config.maxSeqLen == 128)
        model.config.alibi = false
        model.config.learnedPositionEmbedding = true
        #expect(throws: SequenceLengthError.learnedPositions(path: path, maxSeqLen: 64)) { try option.apply(to: model, path: path) }
        #expect(throws: (any Error).self) { try SequenceLengthOption.parse(["--max-seq-len", "0"]) }
        #expect(try SequenceLengthOption.parse([]).apply(to: model, path: path).config.maxSeqLen == 64)
    }

    /// `MPTKIT_KERNELS` naming an unknown level, or one this CPU lacks, stops the tool with
    /// exit 2 and one line; a supported one runs.
    @Test func kernelLevelFromEnvironment() throws {
        let model = TestPaths.model("mpt-4h-f32")
        var refusals = ["sse9"]
        if !KernelLevel.avx512.isSupported() { refusals.append("avx512") }
        for name in refusals {
            let run = try runVerify(model, environment: ["MPTKIT_KERNELS": name])
            #expect(run.status == 2)
            #expect(run.standardError.contains("MPTKIT_KERNELS=\(name)"), "\(run.standardError)")
            #expect(run.standardError.split(separator: "\n").count == 1)
        }
        for level in KernelLevel.supported() {
            let run = try runVerify(model, environment: ["MPTKIT_KERNELS": level.rawValue])
            #expect(run.status == 0, "\(level): \(run.standardError)")
        }
    }

    private func runVerify(_ model: String, environment: [String: String]) throws -> ToolRun {
        try runTool("mpt-verify", [model, "--tokens", "1,2,3", "--threads", "1"], environment: environment)
    }
}
