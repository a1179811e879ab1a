import Foundation
import MPTCore
import Testing

@testable import MPTFormats

/// Paths of fixture files (`Fixtures/` at the package root).
enum PickleFixtures {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures")

    static func path(_ relative: String) -> String { root.appendingPathComponent(relative).path }
}

/// Builds small zip archives in memory, optionally with every size and offset in ZIP64 form, so
/// tests can exercise layouts no small fixture has (and corrupt them precisely).
struct TestZipBuilder {
    struct Entry {
        var name: String
        var data: [UInt8]
        /// Overrides for corrupting headers.
        var declaredSize: UInt64?
        var method: UInt16 = 0
        var crc: UInt32?
    }

    var entries: [Entry] = []
    var zip64 = false

    mutating func add(_ name: String, _ data: [UInt8]) { entries.append(Entry(name: name, data: data)) }
    mutating func add(_ name: String, _ text: String) { add(name, Array(text.utf8)) }

    func build() -> [UInt8] {
        var out: [UInt8] = []
        var offsets: [UInt64] = []
        for entry in entries {
            offsets.append(UInt64(out.count))
            let name = Array(entry.name.utf8)
            let size = entry.declaredSize ?? UInt64(entry.data.count)
            let extra: [UInt8] = zip64 ? zipLE16(1) + zipLE16(16) + zipLE64(size) + zipLE64(UInt64(entry.data.count)) : []
            out += zipLE32(0x0403_4b50) + zipLE16(zip64 ? 45 : 20) + zipLE16(0) + zipLE16(entry.method) + zipLE16(0) + zipLE16(0)
            out += zipLE32(entry.crc ?? crc32(entry.data))
            out += zip64 ? zipLE32(0xFFFF_FFFF) + zipLE32(0xFFFF_FFFF) : zipLE32(UInt32(entry.data.count)) + zipLE32(UInt32(size))
            out += zipLE16(UInt16(name.count)) + zipLE16(UInt16(extra.count)) + name + extra + entry.data
        }
        let directoryOffset = UInt64(out.count)
        for (entry, offset) in zip(entries, offsets) {
            let name = Array(entry.name.utf8)
            let size = entry.declaredSize ?? UInt64(entry.data.count)
            let extra: [UInt8] = zip64 ? zipLE16(1) + zipLE16(24) + zipLE64(size) + zipLE64(UInt64(entry.data.count)) + zipLE64(offset) : []
            out += zipLE32(0x0201_4b50) + zipLE16(45) + zipLE16(zip64 ? 45 : 20) + zipLE16(0) + zipLE16(entry.method) + zipLE16(0) + zipLE16(0)
            out += zipLE32(entry.crc ?? crc32(entry.data))
            out += zip64 ? zipLE32(0xFFFF_FFFF) + zipLE32(0xFFFF_FFFF) : zipLE32(UInt32(entry.data.count)) + zipLE32(UInt32(size))
            out += zipLE16(UInt16(name.count)) + zipLE16(UInt16(extra.count)) + zipLE16(0) + zipLE16(0) + zipLE16(0) + zipLE32(0)
            out += (zip64 ? zipLE32(0xFFFF_FFFF) : zipLE32(UInt32(offset))) + name + extra
        }
        let directorySize = UInt64(out.count) - directoryOffset
        if zip64 {
            let recordOffset = UInt64(out.count)
            out += zipLE32(0x0606_4b50) + zipLE64(44) + zipLE16(45) + zipLE16(45) + zipLE32(0) + zipLE32(0)
            out += zipLE64(UInt64(entries.count)) + zipLE64(UInt64(entries.count)) + zipLE64(directorySize) + zipLE64(directoryOffset)
            out += zipLE32(0x0706_4b50) + zipLE32(0) + zipLE64(recordOffset) + zipLE32(1)
            out += zipLE32(0x0605_4b50) + zipLE16(0xFFFF) + zipLE16(0xFFFF) + zipLE16(0xFFFF) + zipLE16(0xFFFF)
            out += zipLE32(0xFFFF_FFFF) + zipLE32(0xFFFF_FFFF) + zipLE16(0)
        } else {
            out += zipLE32(0x0605_4b50) + zipLE16(0) + zipLE16(0) + zipLE16(UInt16(entries.count)) + zipLE16(UInt16(entries.count))
            out += zipLE32(UInt32(directorySize)) + zipLE32(UInt32(directoryOffset)) + zipLE16(0)
        }
        return out
    }

    /// Bitwise CRC-32 (reflected 0xEDB88320), independent of the zlib one under test.
    func crc32(_ data: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in data {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }
}

func zipLE16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
func zipLE32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
func zipLE64(_ value: UInt64) -> [UInt8] { (0..<8).map { UInt8((value >> (8 * UInt64($0))) & 0xFF) } }

/// Expects `body` to throw an error of type `E`, and returns it.
@discardableResult
func expectZipPickleThrows<E: Error>(_: E.Type, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) -> E? {
    do {
        try body()
        Issue.record("expected \(E.self) but nothing was thrown", sourceLocation: sourceLocation)
    } catch let error as E {
        return error
    } catch {
        Issue.record("expected \(E.self) but got \(type(of: error)): \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

@Suite struct ZipTests {
    private func archive(_ bytes: [UInt8], limits: ZipLimits = .default) throws -> ZipArchive {
        try ZipArchive(storage: ByteStorage(copying: bytes, origin: "test zip"), limits: limits)
    }

    @Test func readsStoredEntriesZeroCopy() throws {
        var builder = TestZipBuilder()
        builder.add("a/one", "hello")
        builder.add("a/two", [1, 2, 3, 4])
        let zip = try archive(builder.build())
        #expect(zip.entries.map(\.name) == ["a/one", "a/two"])
        let two = try zip.contents(ofEntryNamed: "a/two")
        #expect(two.storage === zip.storage)
        #expect(try two.copy() == [1, 2, 3, 4])
        #expect(try zip.contents(ofEntryNamed: "a/one").copy() == Array("hello".utf8))
    }

    @Test func readsZip64RecordsAndExtraFields() throws {
        var builder = TestZipBuilder()
        builder.zip64 = true
        builder.add("archive/data/0", (0..<100).map { UInt8($0) })
        builder.add("archive/version", "3\n")
        let zip = try archive(builder.build())
        let entry = try #require(zip.entry(named: "archive/data/0"))
        #expect(entry.uncompressedSize == 100)
        #expect(try zip.contents(of: entry).copy() == (0..<100).map { UInt8($0) })
        #expect(try zip.contents(ofEntryNamed: "archive/version").copy() == Array("3\n".utf8))
    }

    @Test func storedChecksumsAreVerifiedOnRequest() throws {
        var builder = TestZipBuilder()
        builder.add("x", [9, 9, 9])
        builder.entries[0].crc = 0x1234_5678
        let bytes = builder.build()
        // Off by default (zero-copy); on request the mismatch is reported.
        #expect(try archive(bytes).contents(ofEntryNamed: "x").count == 3)
        let error = expectZipPickleThrows(ZipError.self) {
            _ = try archive(bytes, limits: ZipLimits(verifyStoredChecksums: true)).contents(ofEntryNamed: "x")
        }
        #expect(error == .checksumMismatch(entry: "x", expected: 0x1234_5678, actual: TestZipBuilder().crc32([9, 9, 9])))
    }

    @Test func rejectsNonZipAndTruncatedDirectories() throws {
        #expect(expectZipPickleThrows(ZipError.self) { _ = try archive(Array(repeating: 0x41, count: 100)) } == .missingEndRecord)
        var builder = TestZipBuilder()
        builder.add("x", [1, 2, 3])
        var bytes = builder.build()
        // Point the end record's directory offset past the end of the file.
        let end = bytes.count - 22
        bytes.replaceSubrange((end + 16)..<(end + 20), with: zipLE32(UInt32(bytes.count)))
        let error = expectZipPickleThrows(ZipError.self) { _ = try archive(bytes) }
        #expect(error.map { "\($0)" }?.contains("outside the file") == true)
    }

    @Test func rejectsEntryDataPastEndOfFile() throws {
        var builder = TestZipBuilder()
        builder.add("big", [1, 2, 3])
        var bytes = builder.build()
        // Central directory compressed/uncompressed sizes of the only entry: claim 1 MiB.
        let directory = bytes.count - 22 - (46 + 3)
        bytes.replaceSubrange((directory + 20)..<(directory + 28), with: zipLE32(1 << 20) + zipLE32(1 << 20))
        let error = expectZipPickleThrows(ZipError.self) { _ = try archive(bytes) }
        #expect(error.map { "\($0)" }?.contains("past the end of the file") == true)
    }

    @Test func rejectsDuplicateNamesAndEntryCountsTheDirectoryCannotHold() throws {
        var builder = TestZipBuilder()
        builder.add("same", "a")
        builder.add("same", "b")
        #expect(expectZipPickleThrows(ZipError.self) { _ = try archive(builder.build()) } == .duplicateEntry("same"))

        var single = TestZipBuilder()
        single.add("x", "a")
        var bytes = single.build()
        let end = bytes.count - 22
        bytes.replaceSubrange((end + 8)..<(end + 12), with: zipLE16(60000) + zipLE16(60000))
        let error = expectZipPickleThrows(ZipError.self) { _ = try archive(bytes) }
        #expect(error.map { "\($0)" }?.contains("declares 60000 entries") == true)
    }

    @Test func corruptingAnyHeaderByteOfARealCheckpointFailsCleanly() throws {
        // Every byte outside the tensor data (local headers, central directory, end record) of
        // torch's own valid.bin, set to 0x00 / 0xFF / 0x7F: the reader loads or throws, never crashes.
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: PickleFixtures.path("hostile/pickle/valid.bin"))))
        let zip = try archive(original)
        let dataRanges = zip.entries.map { $0.dataOffset..<($0.dataOffset + $0.compressedSize) }
        var refused = 0
        for position in original.indices where !dataRanges.contains(where: { $0.contains(position) }) {
            for replacement: UInt8 in [0x00, 0xFF, 0x7F] where original[position] != replacement {
                var mutated = original
                mutated[position] = replacement
                do {
                    _ = try PyTorchCheckpoint.read(storage: ByteStorage(copying: mutated, origin: "mutated"), origin: "mutated")
                } catch is ZipError, is PickleError, is PyTorchError, is CoreError, is FormatError {
                    refused += 1
                }
            }
        }
        #expect(refused > 100)
    }

    @Test func inflatesDeflatedFixtureAndVerifiesCRC() throws {
        let zip = try ZipArchive(path: PickleFixtures.path("models/mpt-4h-f32-bin-deflated/pytorch_model.bin"))
        let deflated = zip.entries.filter { $0.method == .deflated }
        #expect(deflated.count == zip.entries.count && !deflated.isEmpty)
        for entry in deflated {
            let bytes = try zip.contents(of: entry)
            #expect(bytes.count == entry.uncompressedSize)
            #expect(bytes.storage !== zip.storage)
        }
    }

    @Test func refusesZipBombThatInflatesPastDeclaredSize() throws {
        let zip = try ZipArchive(path: PickleFixtures.path("hostile/pickle/zip_bomb_deflate.bin"))
        let entry = try #require(zip.entries.first { $0.name.hasSuffix("data/0") })
        let error = expectZipPickleThrows(ZipError.self) { _ = try zip.contents(of: entry) }
        #expect(error == .inflatedPastDeclaredSize(entry: entry.name, declared: 64))
        #expect(error.map { "\($0)" }?.contains("zip bomb") == true)
    }

    @Test func refusesDeclaredSizeOverCapBeforeAllocating() throws {
        let path = PickleFixtures.path("hostile/pickle/zip_declared_5gib.bin")
        let zip = try ZipArchive(path: path)
        let entry = try #require(zip.entries.first { $0.name.hasSuffix("data/0") })
        #expect(entry.uncompressedSize == 5 << 30)  // read from the ZIP64 extra field
        let error = expectZipPickleThrows(ZipError.self) { _ = try zip.contents(of: entry) }
        #expect(error == .inflatedSizeOverCap(entry: entry.name, declared: 5 << 30, cap: 4 << 30))
        // A lower configured cap applies to small entries too.
        let capped = try ZipArchive(path: PickleFixtures.path("models/mpt-4h-f32-bin-deflated/pytorch_model.bin"),
                                    limits: ZipLimits(maxInflatedEntrySize: 16))
        let large = try #require(capped.entries.first { $0.uncompressedSize > 16 })
        #expect(expectZipPickleThrows(ZipError.self) { _ = try capped.contents(of: large) }
            == .inflatedSizeOverCap(entry: large.name, declared: large.uncompressedSize, cap: 16))
    }

    @Test func deflatedStreamShorterThanDeclaredIsAnError() throws {
        // Take a real deflated entry and declare one byte more than it inflates to.
        let path = PickleFixtures.path("models/mpt-4h-f32-bin-deflated/pytorch_model.bin")
        let zip = try ZipArchive(path: path)
        let entry = try #require(zip.entries.first { $0.name.hasSuffix("/version") })
        let compressed = try zip.storage.copyBytes(offset: entry.dataOffset, length: entry.compressedSize)
        var builder = TestZipBuilder()
        builder.entries.append(.init(name: "v", data: compressed, declaredSize: UInt64(entry.uncompressedSize + 1), method: 8))
        let short = try archive(builder.build())
        let error = expectZipPickleThrows(ZipError.self) { _ = try short.contents(ofEntryNamed: "v") }
        #expect(error == .inflatedShort(entry: "v", declared: entry.uncompressedSize + 1, produced: entry.uncompressedSize))
    }
}
