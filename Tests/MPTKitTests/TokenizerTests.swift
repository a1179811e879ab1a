import Foundation
import Testing
import MPTCore
import MPTFormats
@testable import MPTTokenizer

/// Golden cases made by HF `tokenizers` (Rust) from the GPT-NeoX-20B tokenizer.json.
struct TokenizerGoldens {
    struct Case {
        var id: Int
        var category: String
        var text: String
        var ids: [UInt32]
        var decoded: String
        var decodedSkipSpecial: String
    }

    let tokenizerPath: String
    /// Top-level tokenizer.json keys replaced for this set of cases.
    let overrides: [(key: String, value: JSONValue)]
    let cases: [Case]
    /// `count` as the golden file declares it.
    let declaredCount: Int

    /// The tokenizer the cases were made with.
    func tokenizer() throws -> BPETokenizer {
        guard !overrides.isEmpty else { return try BPETokenizer(contentsOf: tokenizerPath) }
        let base = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: tokenizerPath))))
        var members = try #require(base.objectMembers)
        for (key, value) in overrides {
            members.removeAll { $0.key == key }
            members.append((key, value))
        }
        return try BPETokenizer(json: .object(members))
    }

    static func load(_ relative: String) throws -> TokenizerGoldens {
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: TestPaths.fixture(relative)))))
        let tokenizer = try #require(json["tokenizer"]?.stringValue)
        let cases = try #require(json["cases"]?.arrayValue).map { item in
            Case(id: try #require(item["id"]?.intValue),
                 category: item["category"]?.stringValue ?? "",
                 text: try #require(item["text"]?.stringValue),
                 ids: try #require(item["ids"]?.arrayValue).map { UInt32(try #require($0.intValue)) },
                 decoded: try #require(item["decoded"]?.stringValue),
                 decodedSkipSpecial: try #require(item["decoded_skip_special"]?.stringValue))
        }
        return TokenizerGoldens(tokenizerPath: TestPaths.fixture(tokenizer), overrides: json["overrides"]?.objectMembers ?? [], cases: cases,
                                declaredCount: try #require(json["count"]?.intValue))
    }
}

/// Byte equality (Swift `String ==` is canonical equivalence, which would hide NFC bugs).
private func sameBytes(_ a: String, _ b: String) -> Bool { Array(a.utf8) == Array(b.utf8) }

/// The NeoX goldens and tokenizer, loaded once for all tests.
enum NeoX {
    static let loaded: Result<(TokenizerGoldens, BPETokenizer), any Error> = Result {
        let goldens = try TokenizerGoldens.load("goldens/tokenizer/cases.json")
        return (goldens, try goldens.tokenizer())
    }
}

@Suite struct TokenizerGoldenTests {
    @Test func neoxGoldensMatchHFTokenizersExactly() throws {
        let (goldens, tokenizer) = try NeoX.loaded.get()
        #expect(goldens.cases.count == 340 && goldens.cases.count == goldens.declaredCount)
        var mismatches: [String] = []
        for item in goldens.cases {
            let ids = tokenizer.encode(item.text)
            if ids != item.ids { mismatches.append("case \(item.id) [\(item.category)] \(item.text.debugDescription): \(ids) != \(item.ids)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) of \(goldens.cases.count) differ:\n\(mismatches.prefix(20).joined(separator: "\n"))")
    }

    @Test func neoxDecodeMatchesHF() throws {
        let (goldens, tokenizer) = try NeoX.loaded.get()
        #expect(goldens.cases.count == 340 && goldens.cases.count == goldens.declaredCount)
        for item in goldens.cases {
            #expect(sameBytes(tokenizer.decode(item.ids), item.decoded), "case \(item.id)")
            #expect(sameBytes(tokenizer.decode(item.ids, skipSpecialTokens: true), item.decodedSkipSpecial), "case \(item.id)")
        }
    }

    @Test func encodeThenDecodeGivesTheNormalizedText() throws {
        let (goldens, tokenizer) = try NeoX.loaded.get()
        #expect(goldens.cases.count == 340)
        var roundTrips = 0
        for item in goldens.cases {
            // HF's own decode(encode(text)) is the NFC text; where that equals the input, we must round-trip.
            #expect(sameBytes(tokenizer.decode(tokenizer.encode(item.text)), item.decoded), "case \(item.id)")
            if sameBytes(item.decoded, item.text) { roundTrips += 1 }
        }
        #expect(roundTrips > goldens.cases.count * 8 / 10)
    }

    @Test func variantGoldensMatchHF() throws {
        // Prefix space, lstrip/rstrip/single_word, non-normalized and NFC-normalized added tokens.
        let goldens = try TokenizerGoldens.load("goldens/tokenizer/variant_cases.json")
        let tokenizer = try goldens.tokenizer()
        #expect(goldens.cases.count == 359 && goldens.cases.count == goldens.declaredCount)
        for item in goldens.cases {
            #expect(tokenizer.encode(item.text) == item.ids, "case \(item.id) \(item.text.debugDescription)")
            #expect(sameBytes(tokenizer.decode(item.ids), item.decoded), "case \(item.id)")
            #expect(sameBytes(tokenizer.decode(item.ids, skipSpecialTokens: true), item.decodedSkipSpecial), "case \(item.id)")
        }
    }

    @Test func fuzzGoldensMatchHF() throws {
        // Random strings over whitespace kinds, combining marks, Hangul jamo, special tokens.
        let goldens = try TokenizerGoldens.load("goldens/tokenizer/fuzz_cases.json")
        let tokenizer = try NeoX.loaded.get().1
        #expect(goldens.cases.count == 301 && goldens.cases.count == goldens.declaredCount)
        for item in goldens.cases {
            #expect(tokenizer.encode(item.text) == item.ids, "case \(item.id) \(item.text.debugDescription)")
            #expect(sameBytes(tokenizer.decode(item.ids), item.decoded), "case \(item.id)")
        }
    }

    @Test func parallelEncodingMatchesHF() throws {
        // The last fuzz case joins all the others with newlines; HF encoded it in one call.
        let goldens = try TokenizerGoldens.load("goldens/tokenizer/fuzz_cases.json")
        let tokenizer = try NeoX.loaded.get().1
        let joined = try #require(goldens.cases.last)
        var cuts = 0
        var text = joined.text
        text.withUTF8 { cuts = tokenizer.parallelCuts(in: $0, threads: 16, minimumChunkBytes: 64).count - 2 }
        #expect(cuts >= 5)
        for threads in [2, 3, 16] {
            #expect(tokenizer.encode(joined.text, threads: threads, minimumChunkBytes: 64) == joined.ids, "threads \(threads)")
        }
    }

    @Test func parallelEncodingEqualsSequentialOnManyCuts() throws {
        let (goldens, tokenizer) = try NeoX.loaded.get()
        var text = String(repeating: goldens.cases.map(\.text).joined(separator: "\n") + "\n", count: 10)
        var cuts = 0
        text.withUTF8 { cuts = tokenizer.parallelCuts(in: $0, threads: 64, minimumChunkBytes: 64).count - 2 }
        #expect(cuts > 100)
        let sequential = tokenizer.encode(text)
        for threads in [2, 3, 64] {
            #expect(tokenizer.encode(text, threads: threads, minimumChunkBytes: 64) == sequential, "threads \(threads)")
        }
    }

    @Test func parallelEncodingIsOffWhenCutsWouldChangeResults() throws {
        // add_prefix_space would add a space at every chunk start; the variant turns it on.
        let goldens = try TokenizerGoldens.load("goldens/tokenizer/variant_cases.json")
        let tokenizer = try goldens.tokenizer()
        let text = String(repeating: "a\nb", count: 10_000)
        var cuts: [Int] = []
        var copy = text
        copy.withUTF8 { cuts = tokenizer.parallelCuts(in: $0, threads: 2, minimumChunkBytes: 64) }
        #expect(cuts == [0, text.utf8.count])
    }
}

@Suite struct TokenizerScalarClassTests {
    @Test func asciiFastPathAgreesWithUnicodeProperties() {
        for byte in UInt8(0)..<0x80 {
            #expect(ScalarClass.ofASCII(byte) == ScalarClass.of(Unicode.Scalar(byte)), "byte \(byte)")
        }
    }
}

@Suite struct TokenizerMalformedTests {
    private static let neox = TestPaths.model("mpt-neox-tok-f16") + "/tokenizer.json"

    /// The NeoX tokenizer.json with `edit` applied to its parsed JSON.
    private func neoxEdited(_ edit: (inout [(key: String, value: JSONValue)]) throws -> Void) throws -> JSONValue {
        let root = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: Self.neox))))
        var members = try #require(root.objectMembers)
        try edit(&members)
        return .object(members)
    }

    private func setModelKey(_ key: String, _ value: JSONValue, in members: inout [(key: String, value: JSONValue)]) throws {
        let index = try #require(members.firstIndex { $0.key == "model" })
        var model = try #require(members[index].value.objectMembers)
        model.removeAll { $0.key == key }
        model.append((key, value))
        members[index].value = .object(model)
    }

    /// The `TokenizerError` thrown by `body`, unwrapped from the `FileError` of a path reader.
    private func error(_ body: () throws -> BPETokenizer) -> TokenizerError? {
        do {
            _ = try body()
            return nil
        } catch let error as TokenizerError {
            return error
        } catch let error as FileError {
            return error.underlying as? TokenizerError
        } catch {
            return nil
        }
    }

    @Test func missingModel() throws {
        let json = try neoxEdited { $0.removeAll { $0.key == "model" } }
        #expect(error { try BPETokenizer(json: json) } == .missingKey("model"))
    }

    @Test func unknownModelType() throws {
        let json = try neoxEdited { try setModelKey("type", .string("WordPiece"), in: &$0) }
        #expect(error { try BPETokenizer(json: json) } == .unsupported(key: "model.type", value: "'WordPiece'"))
    }

    @Test func mergeOfUnknownToken() throws {
        let json = try neoxEdited { try setModelKey("merges", .array([.string("Ġ t"), .string("Ġ nosuchtoken")]), in: &$0) }
        #expect(error { try BPETokenizer(json: json) } == .mergeTokenNotInVocab(index: 1, token: "nosuchtoken"))
        let malformed = try neoxEdited { try setModelKey("merges", .array([.string("a b c")]), in: &$0) }
        #expect(error { try BPETokenizer(json: malformed) } == .malformedMerge(index: 0))
    }

    @Test func unsupportedOptions() throws {
        let fallback = try neoxEdited { try setModelKey("byte_fallback", .bool(true), in: &$0) }
        #expect(error { try BPETokenizer(json: fallback) } == .unsupported(key: "model.byte_fallback", value: "true"))
        let truncation = try neoxEdited { members in
            members.removeAll { $0.key == "truncation" }
            members.append(("truncation", .object([("max_length", .number("8"))])))
        }
        #expect(error { try BPETokenizer(json: truncation) } == .unsupported(key: "truncation", value: "non-null"))
    }

    @Test func deepJSONIsRefused() {
        let deep = Array(String(repeating: "[", count: 100_000).utf8)
        #expect(error { try BPETokenizer(tokenizerJSON: deep) } == .invalidJSON(.tooDeep(limit: JSONParser.defaultMaxDepth)))
    }

    @Test func errorsNameTheFileOnOneLine() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokenizer.json"
        let json = #"{"pre_tokenizer":{"type":"ByteLevel"},"model":{"vocab":{"line\nbreak":-3},"merges":[]}}"#
        #expect(FileManager.default.createFile(atPath: path, contents: Data(json.utf8)))
        #expect(error { try BPETokenizer(contentsOf: path) } == .invalidTokenID(token: "line\nbreak", limit: TokenizerLimits.default.idLimit))
        do {
            _ = try TokenizerJSON.read(path: path)
            Issue.record("a negative id was accepted")
        } catch {
            let text = String(describing: error)
            #expect(text == path + #": tokenizer vocab entry "line\nbreak" has an id that is not an integer in 0..<2097152"#)
            #expect(!text.contains("\n"))
        }
    }

    @Test func hugeFileIsRefusedBeforeReading() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/tokenizer.json"
        #expect(FileManager.default.createFile(atPath: path, contents: Data("{".utf8)))
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let limit = TokenizerLimits.default.maxFileBytes
        try handle.truncate(atOffset: UInt64(limit) + 1) // sparse
        try handle.close()
        #expect(error { try BPETokenizer(contentsOf: path) } == .fileTooLarge(bytes: limit + 1, limit: limit))
    }
}

@Suite struct TokenizerToolTests {
    private static let model = TestPaths.model("mpt-neox-tok-f16")

    private func referenceTokens() throws -> String {
        try String(contentsOfFile: Self.model + "/reference/tokens.json", encoding: .utf8).filter { "0123456789,".contains($0) }
    }

    @Test func tokenizeToolPrintsTheHFTokensOfThePrompt() throws {
        let prompt = try String(contentsOfFile: Self.model + "/reference/prompt.txt", encoding: .utf8)
        let run = try runTool("mpt-tokenize", [Self.model, "--text", prompt])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines) == (try referenceTokens()))
    }

    @Test func verifyPromptFileMatchesTheHFLogits() throws {
        // The stored logits were made by transformers from the HF-tokenized prompt: wrong ids cannot pass.
        let run = try runTool("mpt-verify", [Self.model, "--prompt-file", Self.model + "/reference/prompt.txt",
                                             "--reference-logits", Self.model + "/reference/logits_f64.npy"])
        #expect(run.status == 0, "\(run.standardOutput)\(run.standardError)")
        #expect(run.standardOutput.contains("PASS"))
    }

    @Test func verifyPromptWithoutTokenizerIsAClearError() throws {
        let run = try runTool("mpt-verify", [TestPaths.model("mpt-4h-f32"), "--prompt", "hello"])
        #expect(run.status == 2)
        #expect(run.standardError.contains("has no tokenizer.json"))
    }

    @Test func verifyTruncatesLongPromptsWithANote() throws {
        let run = try runTool("mpt-verify", [Self.model, "--prompt", String(repeating: "word ", count: 200)])
        #expect(run.status == 0, "\(run.standardError)")
        #expect(run.standardError.contains("using the first 64"))
        #expect(run.standardOutput.contains("64 tokens"))
    }
}
