import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTQuant

/// `--allow-requantize` from files holding the K-quant and IQ4 types: the input's blocks are
/// decoded and quantized again (tensors whose type the new mix keeps are copied); without the
/// flag the input is refused and nothing is written.
@Suite struct GGUFRequantizeTests {
    /// A 256-wide synthetic MPT (one layer, MLP 256, vocabulary 256) so the 256-block types apply
    /// without fallbacks, small enough for debug builds.
    static let spec: JSONValue = .object([("d_model", .int(256)), ("n_heads", .int(4)), ("n_layers", .int(1)),
                                          ("ffn", .int(256)), ("vocab", .int(256)), ("tied", .bool(true))])

    /// Each re-typed tensor of the output is the re-quantization of the decoded input tensor.
    @Test(arguments: [(LlamaFileType.q4_k_m, LlamaFileType.q8_0), (.q2_k, .q4_0), (.iq4_xs, .q5_k_m)])
    func requantizesDecodedBlocks(source: LlamaFileType, target: LlamaFileType) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try SyntheticMPT.write(spec: Self.spec, at: directory + "/model")
        let input = try GGUFExportSupport.convert(directory + "/model", into: directory, file: "in.gguf",
                                                  options: try OutputPlan(format: .gguf, quant: try #require(QuantScheme(rawValue: source.rawValue))))
        let before = try GGUFFile.read(path: input)
        let inputTypes = Set(before.tensors.map(\.type))
        #expect(inputTypes.isSuperset(of: Self.expectedInputTypes(source)), "\(inputTypes)")

        let output = directory + "/out.gguf"
        let refused = try ChildRun.tool("mpt-convert", [input, output, "--quant", target.rawValue], timeLimit: 120)
        #expect(refused.exitStatus == 2)
        #expect(refused.standardError.contains("already quantized") && refused.standardError.contains("--allow-requantize"),
                "\(refused.standardError)")
        #expect(!FileManager.default.fileExists(atPath: output))

        let allowed = try ChildRun.tool("mpt-convert", [input, output, "--quant", target.rawValue, "--allow-requantize"], timeLimit: 120)
        #expect(allowed.exitStatus == 0, "\(allowed.standardError)")
        let after = try GGUFFile.read(path: output)
        #expect(after.tensors.count == before.tensors.count)
        var requantized = 0
        for info in after.tensors where GGMLQuantizer.supports(info.type) {
            let original = try #require(before.tensor(named: info.name))
            let stored = try before.withBytes(of: original) { Array($0) }
            // A tensor whose type the mix keeps is copied, as llama-quantize does; the others are
            // decoded and quantized again.
            let expected = original.type == info.type
                ? stored : try GGMLQuantizer.quantize(try GGMLQuantizer.dequantize(stored, as: original.type), as: info.type)
            #expect(try after.withBytes(of: info) { Array($0) } == expected, "\(info.name) \(original.type)→\(info.type)")
            if original.type != info.type { requantized += 1 }
        }
        #expect(requantized >= 4, "\(source)→\(target): \(requantized) tensors changed type")
    }

    static func expectedInputTypes(_ source: LlamaFileType) -> Set<GGMLType> {
        switch source {
        case .q4_k_m: return [.q4_K, .q6_K]
        case .q2_k: return [.q2_K, .q3_K, .q6_K]
        default: return [.iq4_XS, .q6_K]
        }
    }
}
