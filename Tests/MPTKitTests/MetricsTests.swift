import Foundation
import MPTCore
import MPTFormats
import MPTReference
import Testing

private enum MetricsFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    /// Torch-computed metrics (Fixtures/generate_parity_goldens.py).
    static func golden(_ model: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path("goldens/parity/\(model).json")))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func bytes(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }

    static func npy(_ bytes: [UInt8]) throws -> NpyArray {
        try NpyArray(storage: ByteStorage(copying: bytes, origin: "test"))
    }
}

@Suite("Metrics")
struct MetricsTests {
    /// Our metrics on HF's f32-vs-f64 logits equal torch's (float64) to tight tolerances.
    @Test(arguments: ["mpt-4h-f32", "mpt-6h-clip-bf16"])
    func metricsMatchTorch(model: String) throws {
        let golden = try MetricsFixture.golden(model)
        let reference = try NpyArray(contentsOf: MetricsFixture.path("models/\(model)/reference/logits_f64.npy"))
        let candidate = try NpyArray(contentsOf: MetricsFixture.path("models/\(model)/reference/logits_f32.npy"))
        let tokensData = try Data(contentsOf: URL(fileURLWithPath: MetricsFixture.path("models/\(model)/reference/tokens.json")))
        let tokens = try #require(try JSONSerialization.jsonObject(with: tokensData) as? [Int])
        #expect(reference.shape == [16, 320] && candidate.shape == [16, 320])
        #expect(reference.elementType == .float64 && candidate.elementType == .float32)
        let vocab = reference.shape[1]

        let report = try ParityMetrics.compare(reference: reference.values, candidate: candidate.values, vocab: vocab, tokens: tokens)
        func close(_ value: Double?, _ key: String, _ tolerance: Double) throws {
            let expected = try #require(golden[key] as? Double)
            let actual = try #require(value)
            #expect(abs(actual - expected) <= tolerance * max(abs(expected), 1e-300), "\(key): \(actual) vs \(expected)")
        }
        try close(report.maxAbsoluteDifference, "max_abs_diff", 1e-12)
        try close(report.relativeL2, "relative_l2", 1e-9)
        try close(report.meanKLDivergence, "mean_kl", 1e-3)  // ~1e-13: cancellation-limited
        try close(report.top1Agreement, "top1_agreement", 0)
        try close(report.referencePerplexity, "reference_perplexity", 1e-12)
        try close(report.candidatePerplexity, "candidate_perplexity", 1e-12)

        // A deliberately wrong candidate: every row reversed.
        let vocabRange = 0..<vocab
        let reversed = (0..<16).flatMap { row in vocabRange.reversed().map { candidate.values[row * vocab + $0] } }
        let bad = try ParityMetrics.compare(reference: reference.values, candidate: reversed, vocab: vocab, tokens: tokens)
        try close(bad.candidatePerplexity, "perplexity_of_shuffled_candidate", 1e-12)
        try close(bad.top1Agreement, "top1_agreement_shuffled", 0)
        try close(bad.meanKLDivergence, "mean_kl_shuffled", 1e-12)
    }

    /// Our writer reproduces NumPy's bytes exactly (header, padding, data) for both dtypes.
    @Test(arguments: ["logits_f32.npy", "logits_f64.npy"])
    func writerMatchesNumPy(file: String) throws {
        let original = try MetricsFixture.bytes("models/mpt-4h-f32/reference/\(file)")
        let array = try MetricsFixture.npy(original)
        #expect(try array.encoded() == original)
    }

    @Test func roundTripsOneDimensional() throws {
        let array = NpyArray(shape: [3], values: [1.5, -2, 0.25], elementType: .float32)
        let decoded = try MetricsFixture.npy(try array.encoded())
        #expect(decoded == array)
        #expect(throws: NpyError.shapeMismatch(shape: [2, 2], count: 3)) {
            _ = try NpyArray(shape: [2, 2], values: [1, 2, 3], elementType: .float64).encoded()
        }
    }

    /// Hostile `.npy` variants made from NumPy's own file: each is rejected with a clear error.
    @Test func rejectsMalformedFiles() throws {
        let original = try MetricsFixture.bytes("models/mpt-4h-f32/reference/logits_f32.npy")
        let headerEnd = 10 + Int(original[8]) + Int(original[9]) << 8
        let header = String(decoding: original[10..<headerEnd], as: UTF8.self)
        func withHeader(_ text: String) -> [UInt8] {
            var padded = text
            while padded.utf8.count < header.utf8.count { padded.insert(" ", at: padded.index(before: padded.endIndex)) }
            return Array(original[0..<10]) + Array(padded.utf8) + Array(original[headerEnd...])
        }
        var badMagic = original
        badMagic[1] = 0x4F
        #expect(throws: NpyError.badMagic) { _ = try MetricsFixture.npy(badMagic) }
        var badVersion = original
        badVersion[6] = 9
        #expect(throws: NpyError.unsupportedVersion(major: 9, minor: 0)) { _ = try MetricsFixture.npy(badVersion) }
        #expect(throws: NpyError.dataSize(expected: 16 * 320 * 4, actual: 16 * 320 * 4 - 1)) {
            _ = try MetricsFixture.npy(Array(original.dropLast()))
        }
        #expect(throws: NpyError.unsupportedDType(">f4")) {
            _ = try MetricsFixture.npy(withHeader(header.replacingOccurrences(of: "'<f4'", with: "'>f4'")))
        }
        #expect(throws: NpyError.fortranOrder) {
            _ = try MetricsFixture.npy(withHeader(header.replacingOccurrences(of: "False", with: "True")))
        }
        #expect(throws: NpyError.self) {
            _ = try MetricsFixture.npy(withHeader(header.replacingOccurrences(of: "(16, 320)", with: "(99999999999, 99999999999)")))
        }
        #expect(throws: NpyError.self) {
            _ = try MetricsFixture.npy(withHeader(header.replacingOccurrences(of: "(16, 320)", with: "(16, -320)")))
        }
        // Header length pointing past the end of the file.
        var longHeader = original
        longHeader[8] = 0xFF
        longHeader[9] = 0xFF
        #expect(throws: NpyError.truncated(what: "header of 65535 bytes", offset: 10)) {
            _ = try MetricsFixture.npy(Array(longHeader.prefix(200)))
        }
        #expect(throws: NpyError.badMagic) { _ = try MetricsFixture.npy([0x93, 0x4E]) }
        #expect(throws: NpyError.truncated(what: "version and header length", offset: 6)) {
            _ = try MetricsFixture.npy(Array(original.prefix(7)))
        }
    }

    /// The fuzz seeds are valid files (versions 1 and 2, f4 and f8, an empty array).
    @Test func fuzzSeedsParse() throws {
        let seeds = TestPaths.packageRoot.appendingPathComponent("Fuzz/seeds/npy").path
        let names = try FileManager.default.contentsOfDirectory(atPath: seeds).sorted()
        #expect(names == ["f4_1d.npy", "f4_empty.npy", "f8_2x2_v2.npy"])
        #expect(try NpyArray(contentsOf: seeds + "/f4_1d.npy") == NpyArray(shape: [3], values: [1.5, -2, 0.25], elementType: .float32))
        #expect(try NpyArray(contentsOf: seeds + "/f4_empty.npy").shape == [0, 4])
        #expect(try NpyArray(contentsOf: seeds + "/f8_2x2_v2.npy").values == [1, .infinity, -0.0, 3.25])
    }

    /// Reading a file names it in the error, around the `NpyError`.
    @Test func fileErrorsNameTheFile() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bad.npy"
        _ = FileManager.default.createFile(atPath: path, contents: Data([0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0, 0xFF]))
        #expect {
            _ = try NpyArray(contentsOf: path)
        } throws: { error in
            guard let fileError = error as? FileError, fileError.underlying is NpyError else { return false }
            return fileError.path == path && "\(error)".hasPrefix(path + ": ")
        }
    }

    @Test func comparisonRejectsMismatchedSizes() {
        #expect(throws: ReferenceError.self) { _ = try ParityMetrics.compare(reference: [1.0, 2], candidate: [1.0], vocab: 2) }
        #expect(throws: ReferenceError.self) {
            _ = try ParityMetrics.compare(reference: [1.0, 2, 3, 4], candidate: [1.0, 2, 3, 4], vocab: 2, tokens: [0])
        }
    }
}
