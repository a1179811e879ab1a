import Foundation
import MPTCore
import MPTFormats
import Testing

/// llama-imatrix's two file forms, read and written (goldens: Fixtures/scripts/imatrix_goldens.sh,
/// llama-imatrix of llama-cpp-python 0.3.36 on the trained fixture, -c 128 --chunks 4).
@Suite struct ImatrixFileTests {
    static let goldenGGUF = TestPaths.fixture("goldens/imatrix/trained.imatrix.gguf")
    static let goldenLegacy = TestPaths.fixture("goldens/imatrix/trained.imatrix.dat")
    static let weights = ["attn_output", "attn_qkv", "ffn_down", "ffn_up"]

    @Test func readsLlamaImatrixGGUF() throws {
        let file = try ImatrixFile.read(path: Self.goldenGGUF)
        #expect(file.format == .gguf)
        #expect(file.datasets == ["Fixtures/models/mpt-trained-d256/heldout.txt"])
        #expect(file.chunkCount == 4)
        #expect(file.chunkSize == 128)
        let names = (0..<2).flatMap { layer in Self.weights.map { "blk.\(layer).\($0).weight" } }
        #expect(file.entries.map(\.name) == names)
        for entry in file.entries {
            #expect(entry.counts == [512])   // 4 chunks of 128 tokens
            #expect(entry.sums.count == (entry.name.contains("ffn_down") ? 1024 : 256))
            #expect(entry.sums.allSatisfy { $0 > 0 })
        }
    }

    @Test func writesGGUFByteIdenticalToLlamaImatrix() throws {
        let file = try ImatrixFile.read(path: Self.goldenGGUF)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.gguf"
        try file.writeGGUF(to: path)
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data(contentsOf: URL(fileURLWithPath: Self.goldenGGUF)))
        #expect(try ImatrixFile.read(path: path) == file)
    }

    @Test func legacyFormOfTheSameRunMatchesLlamaImatrixDat() throws {
        let legacy = try ImatrixFile.read(path: Self.goldenLegacy)
        #expect(legacy.format == .legacy)
        #expect(legacy.chunkCount == 4)
        #expect(legacy.datasets == ["Fixtures/models/mpt-trained-d256/heldout.txt"])
        #expect(legacy.entries.allSatisfy { $0.counts == [4] })   // ncall = ⌈512 / 128⌉
        // save_imatrix_legacy's arithmetic from the raw GGUF sums gives the very bytes it wrote.
        let derived = try ImatrixFile.read(path: Self.goldenGGUF).legacyForm()
        #expect(derived == legacy)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try derived.writeLegacy(to: directory + "/out.dat")
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/out.dat"))
            == Data(contentsOf: URL(fileURLWithPath: Self.goldenLegacy)))
    }

    @Test func importanceIsWhatLlamaQuantizeDerives() throws {
        let gguf = try ImatrixFile.read(path: Self.goldenGGUF)
        let legacy = try ImatrixFile.read(path: Self.goldenLegacy)
        for entry in gguf.entries {
            let fromGGUF = gguf.importance(of: entry)
            #expect(fromGGUF == entry.sums.map { $0 / 512 })
            let fromLegacy = legacy.importance(of: try #require(legacy.entry(named: entry.name)))
            // (sum/512)·4/4 in float: equal to sum/512 within one rounding each way.
            for (a, b) in zip(fromGGUF, fromLegacy) { #expect(abs(a - b) <= 2 * a.ulp) }
        }
        let empty = ImatrixFile(format: .gguf, entries: [.init(name: "t", sums: [3, 5], counts: [0])],
                                datasets: [], chunkCount: 0, chunkSize: 1)
        #expect(empty.importance(of: empty.entries[0]) == [1, 1])
    }

    // MARK: Bad input: one error naming the file (and the tensor)

    static func mutated(_ source: String, _ edit: (inout [UInt8]) -> Void) throws -> String {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        edit(&bytes)
        let path = try TestPaths.temporaryDirectory() + "/bad" + (source.hasSuffix(".dat") ? ".dat" : ".gguf")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    static func error(reading path: String) -> ImatrixError? {
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do { _ = try ImatrixFile.read(path: path); return nil } catch { return error as? ImatrixError }
    }

    @Test func truncatedFilesAreNamedErrors() throws {
        for source in [Self.goldenGGUF, Self.goldenLegacy] {
            let size = try Data(contentsOf: URL(fileURLWithPath: source)).count
            // A GGUF imatrix ends with 28 bytes of alignment padding after the last counts.
            let lastByte = size - (source.hasSuffix(".dat") ? 1 : 29)
            for cut in [0, 3, 9, 40, 200, size / 2, lastByte] {
                let path = try Self.mutated(source) { $0.removeLast($0.count - cut) }
                let error = try #require(Self.error(reading: path), "cut at \(cut) of \(source)")
                #expect("\(error)".hasPrefix(path + ":"))
            }
        }
    }

    @Test func garbledValuesNameTheTensor() throws {
        // The first float of blk.0.attn_output.weight.in_sum2 in the legacy file: after
        // n_entries, len, the 24-byte name, ncall and nval.
        let nanOffset = 4 + 4 + 24 + 4 + 4
        let path = try Self.mutated(Self.goldenLegacy) { bytes in
            for (index, byte) in [0x00, 0x00, 0xC0, 0x7F].enumerated() { bytes[nanOffset + index] = UInt8(byte) }
        }
        #expect(Self.error(reading: path) == .nonFinite(file: path, tensor: "blk.0.attn_output.weight", index: 0))
        let negativeLength = try Self.mutated(Self.goldenLegacy) { bytes in
            for index in 4..<8 { bytes[index] = 0xFF }
        }
        #expect(Self.error(reading: negativeLength) == .truncated(file: negativeLength, what: "the name of entry 0"))
        let trailing = try Self.mutated(Self.goldenLegacy) { $0.append(0) }
        #expect(Self.error(reading: trailing) == .truncated(file: trailing, what: "1 bytes after the dataset name"))
    }

    @Test func ggufStructureErrorsNameTheTensor() throws {
        // Each case in its own directory, which `error(reading:)` removes.
        func write(_ build: (inout GGUFWriter) throws -> Void) throws -> String {
            var writer = try GGUFWriter()
            try build(&writer)
            let path = try TestPaths.temporaryDirectory() + "/case.gguf"
            try writer.write(to: path)
            return path
        }
        func metadata(_ writer: inout GGUFWriter, skipping: String? = nil) throws {
            try writer.addMetadata("general.type", .string("imatrix"))
            for (key, value) in [(ImatrixFile.datasetsKey, GGUFValue.strings(["t.txt"])),
                                 (ImatrixFile.chunkCountKey, .uint32(1)), (ImatrixFile.chunkSizeKey, .uint32(4))]
            where key != skipping {
                try writer.addMetadata(key, value)
            }
        }
        func tensor(_ writer: inout GGUFWriter, _ name: String, _ dims: [Int], _ values: [Float]) throws {
            try writer.addTensor(name: name, dims: dims, type: .f32) { try $0.write(contentsOf: values) }
        }
        let unpaired = try write { w in
            try metadata(&w)
            try tensor(&w, "blk.0.ffn_up.weight.in_sum2", [1, 2], [1, 2])
        }
        #expect(Self.error(reading: unpaired) == .unpairedTensor(file: unpaired, tensor: "blk.0.ffn_up.weight", missing: ".counts"))
        let unsplittable = try write { w in
            try metadata(&w)
            try tensor(&w, "x.in_sum2", [1, 3], [1, 2, 3])
            try tensor(&w, "x.counts", [2, 1], [1, 1])
        }
        #expect(Self.error(reading: unsplittable) == .badEntry(file: unsplittable, tensor: "x", reason: "3 sums do not split into 2 matrices"))
        let noChunkSize = try write { w in
            try metadata(&w, skipping: ImatrixFile.chunkSizeKey)
            try tensor(&w, "x.in_sum2", [1, 2], [1, 2])
            try tensor(&w, "x.counts", [1, 1], [4])
        }
        #expect(Self.error(reading: noChunkSize) == .missingMetadata(file: noChunkSize, key: ImatrixFile.chunkSizeKey))
        let negativeCount = try write { w in
            try metadata(&w)
            try tensor(&w, "x.in_sum2", [1, 2], [1, 2])
            try tensor(&w, "x.counts", [1, 1], [-4])
        }
        #expect(Self.error(reading: negativeCount) == .nonFinite(file: negativeCount, tensor: "x.counts", index: 0))
        let good = try write { w in
            try metadata(&w)
            try tensor(&w, "x.in_sum2", [1, 2], [1, 2])
            try tensor(&w, "x.counts", [1, 1], [4])
        }
        #expect(try ImatrixFile.read(path: good).entries == [.init(name: "x", sums: [1, 2], counts: [4])])
        try? FileManager.default.removeItem(atPath: (good as NSString).deletingLastPathComponent)
    }
}
