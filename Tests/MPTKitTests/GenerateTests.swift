import Foundation
import MPTCLI
import MPTFormats
import MPTGraph
import MPTReference
import Testing

@Suite struct GenerateTests {
    /// The forward pass over `name`'s weights, as mpt-verify builds it.
    private func forward(_ name: String) throws -> MPTForward {
        let model = try ModelLoading.model(at: TestPaths.model(name))
        return try MPTForward(config: model.config, weights: ModelWeightProvider(model: model))
    }

    /// ‖a − b‖ / ‖b‖.
    private func relativeL2<T: BinaryFloatingPoint>(_ a: [T], _ b: [T]) -> Double {
        var difference = 0.0, norm = 0.0
        for (x, y) in zip(a, b) {
            difference += Double(x - y) * Double(x - y)
            norm += Double(y) * Double(y)
        }
        return (difference / max(norm, .leastNormalMagnitude)).squareRoot()
    }

    /// The logits every cached step chose from equal the last row of the full forward pass (no
    /// cache; itself checked against HF `MptForCausalLM` in ForwardTests) over the same prefix.
    /// The fixtures cover ALiBi with 4 and 6 heads (bias max 6), `clip_qkv`, biases, `qk_ln`,
    /// `logit_scale` and learned-position configs (the tokenizer fixture has the same
    /// configuration as `mpt-4h-f32` with a 50k vocabulary, too slow for a debug-build test here).
    @Test(arguments: ["mpt-4h-bias-qkln-f32", "mpt-6h-clip-bf16", "mpt-4h-f32"])
    func cachedStepsMatchFullForward(model name: String) throws {
        let forward = try forward(name)
        let vocab = forward.config.vocabSize
        let prompt = TokenSequence.defaultTokens(vocab: vocab, maxLength: 4)
        let decoder = GreedyDecoder(forward: forward)
        let generation = try decoder.generate(prompt: prompt, count: 5, keepLogits: true)
        #expect(generation.generated.count == 5)
        #expect(generation.stepLogits.count == 5)
        for (step, logits) in generation.stepLogits.enumerated() {
            let prefix = prompt + generation.generated.prefix(step)
            let full = try forward.logits(tokens: prefix)
            let lastRow = Array(full[(prefix.count - 1) * vocab..<prefix.count * vocab])
            #expect(relativeL2(logits, lastRow) <= 1e-5, "\(name) step \(step)")
            #expect(generation.generated[step] == GreedyDecoder.argmax(lastRow), "\(name) step \(step)")
        }
    }

    /// A stop token ends generation right after it is chosen; without one, all `count` come.
    @Test func stopsAfterTheFirstStopToken() throws {
        let forward = try forward("mpt-4h-f32")
        let prompt = TokenSequence.defaultTokens(vocab: forward.config.vocabSize, maxLength: 4)
        let decoder = GreedyDecoder(forward: forward)
        let free = try decoder.generate(prompt: prompt, count: 6).generated
        #expect(free.count == 6)
        let stop = free[2]
        let stopped = try decoder.generate(prompt: prompt, count: 6, stopTokens: [stop]).generated
        let firstStop = try #require(free.firstIndex(of: stop))
        #expect(stopped == Array(free[...firstStop]))
        #expect(stopped.last == stop)
    }

    /// Extending the cache in uneven pieces, in `Double`, gives the full `Double` forward's rows.
    @Test func piecewiseExtensionMatchesFullForwardInDouble() throws {
        let forward = try forward("mpt-6h-clip-bf16")
        let vocab = forward.config.vocabSize
        let tokens = TokenSequence.defaultTokens(vocab: vocab, maxLength: 9)
        let full = try forward.logitsDouble(tokens: tokens)
        var cache = KeyValueCache<Double>(config: forward.config)
        var end = 0
        for piece in [3, 1, 4, 1] {
            let logits = try forward.extend(Array(tokens[end..<end + piece]), cache: &cache)
            end += piece
            #expect(cache.length == end)
            #expect(relativeL2(logits, Array(full[(end - 1) * vocab..<end * vocab])) <= 1e-12, "after \(end) tokens")
        }
    }

    /// Generation reads the weights in place and keeps their mapped pages between steps; the
    /// tokens equal those of steps that release the pages after every weight.
    @Test func keptAndReleasedPagesDecodeTheSameTokens() throws {
        let forward = try forward("mpt-4h-bias-qkln-f32")
        let decoder = GreedyDecoder(forward: forward)
        #expect(forward.releasesWeightPages)
        #expect(!decoder.forward.releasesWeightPages)
        let stepping = forward  // releases the pages of every weight after its step
        let prompt = [1, 2, 3]
        var cache = KeyValueCache<Float>(config: forward.config)
        var releasedSteps: [Int] = []
        var logits = try stepping.extend(prompt, cache: &cache)
        for _ in 0..<6 {
            releasedSteps.append(GreedyDecoder.argmax(logits))
            logits = try stepping.extend([releasedSteps.last ?? 0], cache: &cache)
        }
        #expect(try decoder.generate(prompt: prompt, count: 6).generated == releasedSteps)
    }

    /// The cache refuses positions past a learned position table and tokens outside the vocabulary.
    @Test func rejectsOverlongAndBadTokens() throws {
        var config = try forward("mpt-4h-f32").config
        let model = try ModelLoading.model(at: TestPaths.model("mpt-4h-f32"))
        let forward = try MPTForward(config: config, weights: ModelWeightProvider(model: model))
        var cache = KeyValueCache<Float>(config: config)
        #expect(throws: ReferenceError.self) { try forward.extend([config.vocabSize], cache: &cache) }
        #expect(throws: ReferenceError.self) { try forward.extend([], cache: &cache) }
        config.nLayers += 1
        var wrongShape = KeyValueCache<Float>(config: config)
        #expect(throws: ReferenceError.self) { try forward.extend([1], cache: &wrongShape) }
    }

    /// The dot-product path decoding steps take (1–3 rows) against the scalar twin, including a
    /// product large enough to be split over workers, which must equal the one-worker result.
    @Test(arguments: [(1, 4000, 1030), (2, 37, 23), (3, 9, 7)])
    func fewRowProductMatchesScalar(shape: (Int, Int, Int)) throws {
        let (rows, columns, depth) = shape
        let a = (0..<rows * depth).map { Float(($0 * 7919) % 2003) / 1001.5 - 1 }
        let b = (0..<columns * depth).map { Float(($0 * 104729) % 4001) / 2000.5 - 1 }
        let bias = (0..<columns).map { Float($0 % 13) / 13 }
        let fast = try MatrixMultiply.linear(a, rows: rows, weight: b, outputSize: columns, bias: bias, threads: 2)
        let single = try MatrixMultiply.linear(a, rows: rows, weight: b, outputSize: columns, bias: bias, threads: 1)
        let slow = try MatrixMultiply.linear(a, rows: rows, weight: b, outputSize: columns, bias: bias, kernel: .scalar)
        #expect(fast == single)
        for s in 0..<rows {
            for o in 0..<columns {
                var magnitude: Float = abs(bias[o])
                for i in 0..<depth { magnitude += abs(a[s * depth + i] * b[o * depth + i]) }
                #expect(abs(fast[s * columns + o] - slow[s * columns + o]) <= 1e-5 * magnitude + 1e-30)
            }
        }
    }

    /// Greedy ids equal HF transformers' `generate(do_sample=False)` (its own KV cache) on the
    /// tokenizer fixture for three prompts, all 32 golden ids of each (golden:
    /// Fixtures/scripts/hf_greedy_golden.py; the smallest top-2 margin along these trajectories is
    /// 0.0077 logits, far above float32 noise).
    @Test func greedyMatchesTransformers() throws {
        let golden = try JSONParser.parse(try String(contentsOfFile: TestPaths.fixture("goldens/generate/hf_greedy_mpt-neox-tok-f16.json"), encoding: .utf8))
        let cases = try #require(golden["cases"]?.arrayValue)
        let length = try #require(golden["max_new_tokens"]?.intValue)
        #expect(cases.count == 3)
        #expect(length == 32)
        let decoder = GreedyDecoder(forward: try forward("mpt-neox-tok-f16"))
        for entry in cases {
            let prompt = try #require(entry["prompt_ids"]?.arrayValue).compactMap(\.intValue)
            let expected = try #require(entry["generated"]?.arrayValue).compactMap(\.intValue)
            #expect(expected.count == length)
            #expect(try decoder.generate(prompt: prompt, count: length).generated == expected)
        }
        // The first case through the tool: text prompt in, the prompt then the continuation out.
        let first = try #require(cases.first)
        let text = try #require(first["prompt"]?.stringValue)
        let expected = try #require(first["generated"]?.arrayValue).compactMap(\.intValue)
        let run = try runTool("mpt-generate", [TestPaths.model("mpt-neox-tok-f16"), "--prompt", text, "--max-tokens", String(length), "--print-ids"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.hasPrefix(text))
        let lines = run.standardOutput.split(separator: "\n")
        #expect(lines.last.map(String.init) == expected.map(String.init).joined(separator: ","))
    }

    /// Without a tokenizer, `--tokens` in gives ids out: the prompt ids then the library's greedy ids.
    @Test func generateToolPrintsIdsWithoutTokenizer() throws {
        let decoder = GreedyDecoder(forward: try forward("mpt-4h-f32"))
        let expected = try decoder.generate(prompt: [5, 6, 7], count: 6).generated
        let run = try runTool("mpt-generate", [TestPaths.model("mpt-4h-f32"), "--tokens", "5,6,7", "--max-tokens", "6"])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput == ([5, 6, 7] + expected).map(String.init).joined(separator: ",") + "\n")
        let missing = try runTool("mpt-generate", [TestPaths.model("mpt-4h-f32"), "--prompt", "hi"])
        #expect(missing.status == 2)
        #expect(missing.standardError.contains("tokenizer"))
    }

    /// Agreement counts the leading run; a divergence passes only when the reference itself was
    /// within the kind's near-tie margin of the candidate's token.
    @Test func agreementRules() {
        let all = GenerationAgreement(reference: [1, 2, 3], candidate: [1, 2, 3])
        #expect(all.firstDivergence == nil && all.agreeingPrefix == 3 && all.passes(.exact))
        let late = GenerationAgreement(reference: [1, 2, 3, 4], candidate: [1, 2, 3, 9], divergenceGap: 5)
        #expect(late.firstDivergence == 3 && late.passes(.bf16) && !late.passes(.exact))
        let early = GenerationAgreement(reference: [1, 2, 3, 4], candidate: [7, 2, 3, 4], divergenceGap: 5)
        #expect(!early.passes(.nf4) && !early.passes(.q8_0))
        let tie = GenerationAgreement(reference: [1, 2, 3, 4], candidate: [7, 2, 3, 4], divergenceGap: 0.01)
        #expect(tie.passes(.q8_0) && tie.passes(.bf16) && !tie.passes(.exact))
        #expect(CandidateKind.exact.defaultRequiredAgreement(of: 32) == 32)
        #expect(CandidateKind.int8.defaultRequiredAgreement(of: 32) == 17)
        #expect(CandidateKind.q4_0.defaultRequiredAgreement(of: 32) == 4)
        #expect(CandidateKind.nf4.defaultRequiredAgreement(of: 2) == 2)
    }

    /// Every conversion kind of a tiny fixture passes `mpt-verify --generate` with the defaults;
    /// a different model (same shapes, other weights) fails it.
    @Test func conversionsPassGenerationDefaults() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let source = TestPaths.model("mpt-4h-f32")
        let conversions: [(String, [String], String)] = [
            ("f16", ["--dtype", "f16"], "f16"), ("bf16", ["--dtype", "bf16"], "bf16"), ("int8", ["--quant", "int8"], "int8"),
            ("nf4", ["--quant", "nf4"], "nf4"), ("q8_0.gguf", ["--quant", "q8_0"], "q8_0"), ("q4_0.gguf", ["--quant", "q4_0"], "q4_0"),
        ]
        for (name, arguments, kind) in conversions {
            let output = directory + "/" + name
            let convert = try runTool("mpt-convert", [source, output] + arguments)
            #expect(convert.status == 0, "\(convert.standardError)")
            let verify = try runTool("mpt-verify", [source, output, "--tokens", "1,2,3,4,5,6,7,8", "--generate", "8", "--json"])
            #expect(verify.status == 0, "\(name): \(verify.standardOutput)\(verify.standardError)")
            let report = try JSONParser.parse(verify.standardOutput)
            #expect(report["candidate_kind"]?.stringValue == kind)
            #expect(report["generation"]?["tokens"]?.intValue == 8)
            #expect(report["pass"]?.boolValue == true, "\(name)")
        }
        let other = try runTool("mpt-verify", [source, TestPaths.model("mpt-4h-bias-qkln-f32"), "--tokens", "1,2,3,4,5,6,7,8", "--generate", "8", "--json"])
        #expect(other.status == 1, "\(other.standardOutput)\(other.standardError)")
        let report = try JSONParser.parse(other.standardOutput)
        #expect(report["generation"]?["pass"]?.boolValue == false)
    }
}
