import Foundation
import MPTFormats
import MPTQuant
import Testing
@testable import MPTCore
@testable import MPTGraph
@testable import MPTReference

/// `mpt-verify REF CAND` against a fresh quantization of REF in CAND's own formats, on the random
/// fixture `mpt-4h-f32` (prompt tokens), where absolute tolerances cannot separate honest from
/// broken 4-bit files (its near-tie margins): honest MPTKit conversions are byte-identical to the
/// fresh quantization and pass; every broken candidate of issue 16 fails and is named.
/// (The trained fixture's text runs are in `TextVerdictTests`.)
@Suite("Fresh-quantization verdict")
struct FreshQuantizationVerdictTests {
    static let model = TestPaths.model("mpt-4h-f32")

    static func verify(_ candidate: String) throws -> (status: Int32, json: JSONValue?, output: String) {
        let run = try runTool("mpt-verify", [model, candidate, "--json"])
        return (run.status, try? JSONParser.parse(run.standardOutput), run.standardOutput + run.standardError)
    }

    static func convert(_ arguments: [String], to output: String, model: String = model) throws {
        let run = try runTool("mpt-convert", [model, output] + arguments)
        guard run.status == 0 else { throw CandidateCorruption.Failure(description: run.standardError) }
    }

    /// Honest conversions pass, and every tensor of an MPTKit-made file is byte-identical to a fresh
    /// quantization (so its KL equals the fresh one's). Q4_K_M on d_model 64 mixes Q4_K / Q6_K on
    /// the 256-wide ffn.down_proj rows with llama-quantize's fallbacks (Q5_0, Q5_1, Q8_0) elsewhere.
    @Test(arguments: [
        ("nf4", ["--quant", "nf4"], "nf4"),
        ("nf4-nodq", ["--quant", "nf4", "--no-double-quant", "--blocksize", "128"], "nf4"),
        ("int8", ["--quant", "int8"], "int8"),
        ("q8_0.gguf", ["--quant", "q8_0"], "q8_0"),
        ("q4_0.gguf", ["--quant", "q4_0"], "q4_0"),
        ("q4_k_m.gguf", ["--quant", "q4_k_m"], ""),
        ("f16", ["--dtype", "f16"], "f16"),
    ])
    func honestConversionsAreIdenticalToAFreshQuantization(name: String, arguments: [String], kind: String) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.convert(arguments, to: directory + "/" + name)
        let result = try Self.verify(directory + "/" + name)
        #expect(result.status == 0, "\(result.output)")
        if !kind.isEmpty { #expect(result.json?["candidate_kind"]?.stringValue == kind) }
        let fresh = result.json?["fresh_quantization"]
        #expect(fresh?["identical"]?.boolValue == true, "\(result.output)")
        #expect(fresh?["pass"]?.boolValue == true, "\(result.output)")
        #expect(fresh?["tensors"]?.arrayValue?.count == 14)
        if name != "f16" {
            let logits = fresh?["logits"]
            #expect(logits?["mean_kl"]?.doubleValue == logits?["fresh_mean_kl"]?.doubleValue, "\(result.output)")
        } else {
            #expect(fresh?["logits"] == .null, "a dense cast has no fresh forward pass")
        }
    }

    /// A K-quant mix on the trained fixture (d_model 256, so the K types apply: Q4_K, with Q6_K for
    /// the ffn_down of layer 1 and the tied embedding) is identical to its fresh quantization
    /// tensor by tensor and passes. Eight prompt tokens keep the debug-build forward short; the two
    /// K-quant passes (conversion, fresh quantization) cost most of this test's ~90 s of CPU.
    @Test func kQuantMixOnTheTrainedFixtureIsIdentical() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let trained = TestPaths.model("mpt-trained-d256")
        try Self.convert(["--quant", "q4_k_m"], to: directory + "/q4km.gguf", model: trained)
        let run = try runTool("mpt-verify", [trained, directory + "/q4km.gguf", "--tokens", "11,7930,7657,7384,7111,6838,6565,6292", "--json"])
        let json = try JSONParser.parse(run.standardOutput)
        #expect(run.status == 0, "\(run.standardOutput) \(run.standardError)")
        #expect(json["candidate_kind"]?.stringValue == "q4_k")
        let formats = Set(json["fresh_quantization"]?["tensors"]?.arrayValue?.compactMap { $0["format"]?.stringValue } ?? [])
        #expect(formats.isSuperset(of: ["Q4_K", "Q6_K"]), "\(formats)")
        #expect(json["fresh_quantization"]?["identical"]?.boolValue == true, "\(run.standardOutput)")
        #expect(json["fresh_quantization"]?["logits"]?["mean_kl"]?.doubleValue == json["fresh_quantization"]?["logits"]?["fresh_mean_kl"]?.doubleValue)
    }

    /// Each broken candidate fails the fresh-quantization check and names the broken tensors
    /// (the random fixture's absolute tolerances pass several of them).
    @Test(arguments: CandidateCorruption.Broken.allCases)
    func brokenConversionsFailAndAreNamed(_ broken: CandidateCorruption.Broken) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = try broken.make(in: directory) { try Self.convert($0, to: $1) }
        let result = try Self.verify(path)
        #expect(result.status == 1, "\(broken): \(result.output)")
        let fresh = result.json?["fresh_quantization"]
        #expect(fresh?["pass"]?.boolValue == false, "\(broken): \(result.output)")
        let named = Set(fresh?["beyond_margin"]?.arrayValue?.compactMap(\.stringValue) ?? [])
        switch broken {
        case .swappedTensor:
            #expect(named == ["transformer.blocks.0.ffn.up_proj.weight", "transformer.blocks.1.ffn.up_proj.weight"], "\(result.output)")
        default:
            // Every scaled or flipped tensor: the four block matrices of both layers (and, for
            // Q8_0, the embedding; for the unrelated model, every tensor).
            #expect(named.count >= 8, "\(named)")
        }
        #expect(result.output.contains("BEYOND MARGIN") == false)  // JSON output only
    }

    /// The text report lists each tensor that is not byte-identical, marks those beyond the margin,
    /// and shows the KL next to the fresh quantization's.
    @Test func textReportNamesTensorsBeyondTheMargin() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.convert(["--quant", "q4_0"], to: directory + "/q4.gguf")
        try CandidateCorruption.scaleGGUFBlocks(directory + "/q4.gguf", to: directory + "/bad.gguf", factor: 1.1)
        let run = try runTool("mpt-verify", [Self.model, directory + "/bad.gguf"])
        #expect(run.status == 1)
        #expect(run.standardOutput.contains("blk.0.ffn_up.weight (Q4_0): error "), "\(run.standardOutput)")
        #expect(run.standardOutput.contains("BEYOND MARGIN"))
        #expect(run.standardOutput.contains("mean KL:      candidate "))
        #expect(run.standardOutput.hasSuffix("FAIL\n"))
    }

    /// The rules: a tensor passes when identical or within `fresh × (1 + relative) + absolute`;
    /// NaN never passes; the KL and same-top checks each fail alone.
    @Test func marginRules() {
        let margin = WeightErrorMargin.standard
        let ok = TensorWeightError(tensor: "a", format: "Q4_0", candidateError: 0.1 * (1 + margin.relative), freshError: 0.1, identical: false)
        let bad = TensorWeightError(tensor: "b", format: "Q4_0", candidateError: 0.1 * (1 + margin.relative) + margin.absolute * 1.01, freshError: 0.1, identical: false)
        let nan = TensorWeightError(tensor: "c", format: "NF4", candidateError: .nan, freshError: 0.1, identical: false)
        let report = WeightErrorReport(tensors: [ok, bad, nan])
        #expect(report.beyondMargin.map(\.tensor) == ["b", "c"])
        #expect(!report.passed && !report.identical)
        #expect(!WeightErrorReport(tensors: []).passed, "no tensor compared never passes")
        #expect(TensorWeightError.relativeError([1, 2], [1, 2]) == 0)
        #expect(TensorWeightError.relativeError([0, 1], [0, 0]) == .infinity)
        #expect(abs(TensorWeightError.relativeError([1.1, 2.2], [1, 2]) - 0.1) < 1e-6)

        let pass = FreshLogitCheck(candidateKL: 0.01, freshKL: 0.01, candidateSameTop: 0.9, freshSameTop: 0.9)
        #expect(pass.passed)
        let kl = FreshLogitCheck(candidateKL: pass.maxKL * 1.01, freshKL: 0.01, candidateSameTop: 0.9, freshSameTop: 0.9)
        #expect(!kl.klPassed && kl.sameTopPassed)
        let top = FreshLogitCheck(candidateKL: 0.01, freshKL: 0.01, candidateSameTop: pass.minSameTop - 0.01, freshSameTop: 0.9)
        #expect(top.klPassed && !top.sameTopPassed)
        #expect(!FreshLogitCheck(candidateKL: .nan, freshKL: 0.01, candidateSameTop: 1, freshSameTop: 1).passed)
        let verdict = FreshQuantizationVerdict(weights: WeightErrorReport(tensors: [ok]), logits: kl)
        #expect(!verdict.passed && verdict.failures.count == 1 && verdict.failures[0].hasPrefix("mean KL"))
    }

    /// Every type MPTKit encodes has a kind, and an unknown quantized format is an error.
    @Test func everyEncodableTypeHasAKind() throws {
        for type in GGMLQuantizer.supportedTypes {
            #expect(CandidateKind(quantizedFormat: type.description) != nil, "\(type)")
        }
        #expect(CandidateKind(quantizedFormat: "NF4") == .nf4 && CandidateKind(quantizedFormat: "INT8") == .int8)
        #expect(CandidateKind(quantizedFormat: "IQ2_S") == nil && CandidateKind(quantizedFormat: "F16") == nil)
        for kind in CandidateKind.allCases {
            #expect(kind.defaultMaxRelativeL2 > 0 && kind.defaultMaxMeanKL > 0 && kind.defaultMinSameTop < 1)
        }
    }

    /// A candidate GGUF with a tensor in a quantized type MPTKit cannot encode (a Q3_K tensor
    /// relabelled IQ2_S, whose 82-byte blocks fit inside the 110-byte ones) exits 2 with one line naming the
    /// file and tensor, before any forward pass.
    @Test func unrecognizedQuantizedFormatIsAnError() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try Self.convert(["--quant", "q3_k_s"], to: directory + "/q3.gguf")
        let file = try GGUFFile.read(path: directory + "/q3.gguf")
        let target = try #require(file.tensors.first { $0.type == .q3_K }, "no Q3_K tensor in \(file.tensors.map(\.type))")
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: directory + "/q3.gguf")))
        let name = Array(target.name.utf8)
        let at = try #require((8..<(file.dataStart - name.count)).first { bytes[$0..<($0 + name.count)].elementsEqual(name) && bytes[$0 - 8] == UInt8(name.count) })
        let dims = Int(bytes[at + name.count])
        let typeOffset = at + name.count + 4 + 8 * dims
        #expect(bytes[typeOffset] == UInt8(GGMLType.q3_K.rawValue))
        bytes[typeOffset] = UInt8(GGMLType.iq2_S.rawValue)
        try Data(bytes).write(to: URL(fileURLWithPath: directory + "/bad.gguf"))
        let run = try runTool("mpt-verify", [Self.model, directory + "/bad.gguf"])
        #expect(run.status == 2, "\(run.standardOutput) \(run.standardError)")
        #expect(run.standardError.contains("bad.gguf"), "\(run.standardError)")
        #expect(run.standardError.contains("\(target.name) is stored as IQ2_S"), "\(run.standardError)")
        #expect(run.standardError.split(separator: "\n").count == 1)
    }
}
