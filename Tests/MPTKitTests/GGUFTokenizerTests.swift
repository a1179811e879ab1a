import Foundation
import Testing
import MPTCore
import MPTFormats
import MPTQuant
@testable import MPTTokenizer

/// The tokenizer stored in a GGUF (`tokenizer.ggml.*`). Our GGUF export's tokenizer metadata is
/// checked equal to llama.cpp's converter output (GGUFExportTests), so a file we write stands in
/// for one llama.cpp wrote.
@Suite struct GGUFTokenizerTests {
    /// The GPT-NeoX-tokenizer fixture as F16 GGUF, written once.
    static let gguf: Result<String, any Error> = Result {
        let directory = try TestPaths.temporaryDirectory()
        return try GGUFExportSupport.convert(TestPaths.model("mpt-neox-tok-f16"), into: directory, file: "neox.gguf",
                                             options: try OutputPlan(format: .gguf, dtype: .fixed(.f16)))
    }

    @Test func idsEqualHFTokenizersForEveryGoldenCase() throws {
        let (goldens, _) = try NeoX.loaded.get()
        let stored = try GGUFTokenizer(gguf: try GGUFFile.read(path: try Self.gguf.get()))
        let tokenizer = try BPETokenizer(stored.file)
        #expect(goldens.cases.count == 340 && goldens.cases.count == goldens.declaredCount)
        var mismatches: [String] = []
        for item in goldens.cases {
            let ids = tokenizer.encode(item.text)
            if ids != item.ids { mismatches.append("case \(item.id) [\(item.category)] \(item.text.debugDescription): \(ids) != \(item.ids)") }
            let decoded = tokenizer.decode(item.ids)
            if Array(decoded.utf8) != Array(item.decoded.utf8) { mismatches.append("case \(item.id) decodes to \(decoded.debugDescription)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) differ:\n\(mismatches.prefix(20).joined(separator: "\n"))")
        #expect(stored.endOfTextID == 0)
    }

    @Test func theToolsUseTheStoredTokenizer() throws {
        let path = try Self.gguf.get()
        let text = "Hello world, ünïcödé  and\ttabs"
        let fromGGUF = try runTool("mpt-tokenize", [path, "--text", text])
        let fromJSON = try runTool("mpt-tokenize", [TestPaths.model("mpt-neox-tok-f16"), "--text", text])
        #expect(fromGGUF.status == 0, "\(fromGGUF.standardError)")
        #expect(!fromJSON.standardOutput.isEmpty && fromGGUF.standardOutput == fromJSON.standardOutput)
        let generated = try runTool("mpt-generate", [path, "--prompt", "Hello", "--max-tokens", "2"])
        #expect(generated.status == 0, "\(generated.standardError)")
        let inspect = try runTool("mpt-inspect", [path])
        #expect(inspect.standardOutput.contains("tokenizer: stored in the file (tokenizer.ggml.*)"))
    }

    @Test func otherTokenizerKindsAreRefusedNamingTheKey() throws {
        let metadata = try GGUFFile.read(path: try Self.gguf.get()).metadata
        func replacing(_ key: String, _ value: GGUFValue?) -> [(key: String, value: GGUFValue)] {
            metadata.compactMap { entry in entry.key == key ? value.map { (key, $0) } : entry }
        }
        let cases: [(String, GGUFValue?, String)] = [
            ("tokenizer.ggml.pre", .string("llama3"), "tokenizer.ggml.pre"),
            ("tokenizer.ggml.model", .string("llama"), "tokenizer.ggml.model"),
            ("tokenizer.ggml.tokens", nil, "tokenizer.ggml.tokens"),
            ("tokenizer.ggml.token_type", .int32s([1, 2, 3]), "tokenizer.ggml.token_type"),
            ("tokenizer.ggml.merges", .strings(["nospace"]), "merge"),
        ]
        for (key, value, named) in cases {
            let error = #expect(throws: TokenizerError.self, "\(key)") { try GGUFTokenizer(metadata: replacing(key, value)) }
            #expect(error.map { "\($0)" }?.contains(named) == true, "\(String(describing: error))")
        }
    }
}
