import Foundation
import Testing

/// Hostile and truncated GGUF files through the tools that read GGUF (mpt-inspect, mpt-verify,
/// mpt-generate, mpt-convert; mpt-tokenize too, which must reject it as a tokenizer): each one is
/// a clean rejection as in `HostileCorpusTests`.
@Suite("Hostile GGUF")
struct HostileGGUFTests {
    /// A valid GGUF of `mpt-4h-f32` written by mpt-convert into `directory`.
    static func validGGUF(in directory: String) throws -> [UInt8] {
        let path = directory + "/valid.gguf"
        let run = try ChildRun.tool("mpt-convert", [TestPaths.model("mpt-4h-f32"), path])
        #expect(run.exitStatus == 0, "\(run.standardError)")
        return ChildRun.readWhole(path)
    }

    @Test func theValidFileIsAccepted() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = try Self.validGGUF(in: directory)
        let layout = try #require(GGUFLayout(bytes))
        #expect(layout.tensors.count == 14)
        #expect(layout.firstStringValue != nil)
        for tool in ["mpt-inspect", "mpt-verify"] {
            let run = try ChildRun.tool(tool, [directory + "/valid.gguf"])
            #expect(run.exitStatus == 0, "\(tool): \(run.standardError)")
        }
        let generated = try ChildRun.tool("mpt-generate", [directory + "/valid.gguf", "--tokens", "1,2", "--max-tokens", "1"])
        #expect(generated.exitStatus == 0, "\(generated.standardError)")
    }

    /// Header fields of a valid file overwritten with values no reader may trust.
    static let mutations: [(String, @Sendable (inout [UInt8], GGUFLayout) -> Void)] = [
        ("bad magic", { bytes, _ in bytes[3] = UInt8(ascii: "X") }),
        ("version 0", { bytes, _ in put32(&bytes, 4, 0) }),
        ("version 99", { bytes, _ in put32(&bytes, 4, 99) }),
        ("tensor count 2^63", { bytes, _ in put64(&bytes, 8, 1 << 63) }),
        ("tensor count one too many", { bytes, layout in put64(&bytes, 8, UInt64(layout.tensors.count + 1)) }),
        ("metadata count 2^62", { bytes, _ in put64(&bytes, 16, 1 << 62) }),
        ("metadata count u64 max", { bytes, _ in put64(&bytes, 16, .max) }),
        ("first key length 2^62", { bytes, layout in put64(&bytes, layout.firstKey, 1 << 62) }),
        ("first key length u64 max", { bytes, layout in put64(&bytes, layout.firstKey, .max) }),
        ("first value type 99", { bytes, layout in put32(&bytes, layout.firstValueType, 99) }),
        ("string value length 2^40", { bytes, layout in put64(&bytes, layout.firstStringValue ?? 0, 1 << 40) }),
        ("tensor n_dims 200", { bytes, layout in put32(&bytes, layout.tensors[0].nDims, 200) }),
        ("tensor dim 2^62", { bytes, layout in put64(&bytes, layout.tensors[0].nDims + 4, 1 << 62) }),
        ("tensor dims overflow", { bytes, layout in
            put64(&bytes, layout.tensors[0].nDims + 4, 1 << 40)
            put64(&bytes, layout.tensors[0].nDims + 12, 1 << 40)
        }),
        ("tensor type 999", { bytes, layout in put32(&bytes, layout.tensors[0].type, 999) }),
        ("tensor offset 2^60", { bytes, layout in put64(&bytes, layout.tensors[0].offset, 1 << 60) }),
        ("tensor offset u64 max", { bytes, layout in put64(&bytes, layout.tensors[0].offset, .max) }),
        ("last tensor past the end", { bytes, layout in
            put64(&bytes, layout.tensors[layout.tensors.count - 1].offset, UInt64(bytes.count))
        }),
    ]

    @Test(arguments: 0..<mutations.count)
    func hostileGGUFIsRejectedByEveryTool(_ index: Int) throws {
        let (label, mutate) = Self.mutations[index]
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var bytes = try Self.validGGUF(in: directory)
        let layout = try #require(GGUFLayout(bytes))
        mutate(&bytes, layout)
        let path = directory + "/hostile.gguf"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        for (tool, arguments) in HostileCorpusTests.readers(of: path) {
            expectCleanRejection(try ChildRun.tool(tool, arguments), naming: path, note: label)
        }
        expectCleanRejection(try ChildRun.tool("mpt-convert", [path, directory + "/out"]), naming: path, note: label)
        expectCleanRejection(try ChildRun.tool("mpt-convert", [path, directory + "/out.gguf"]), naming: path, note: label)
        expectNothingLeft(in: directory, output: "out", keeping: ["valid.gguf", "hostile.gguf"])
    }

    /// 40 cuts of a valid GGUF (headers, tensor infos, data, one byte short): every tool rejects each.
    @Test func truncatedGGUFIsRejectedByTheTools() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let bytes = try Self.validGGUF(in: directory)
        let offsets = HostileCorpusTests.truncationOffsets(size: bytes.count)
        #expect(offsets.count >= 38)
        let path = directory + "/cut.gguf"
        for (index, offset) in offsets.enumerated() {
            try Data(bytes[0..<offset]).write(to: URL(fileURLWithPath: path))
            expectCleanRejection(try ChildRun.tool("mpt-inspect", [path]), naming: path, note: "cut at \(offset)")
            if index % 4 == 1 {
                for (tool, arguments) in HostileCorpusTests.readers(of: path).dropFirst() {
                    expectCleanRejection(try ChildRun.tool(tool, arguments), naming: path, note: "cut at \(offset)")
                }
            }
            if index % 4 == 3 {
                expectCleanRejection(try ChildRun.tool("mpt-convert", [path, directory + "/out"]), naming: path, note: "cut at \(offset)")
                expectNothingLeft(in: directory, output: "out", keeping: ["valid.gguf", "cut.gguf"])
            }
        }
    }
}

private func put32(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt32) {
    for index in 0..<4 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt32(index))) }
}

private func put64(_ bytes: inout [UInt8], _ offset: Int, _ value: UInt64) {
    for index in 0..<8 { bytes[offset + index] = UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))) }
}

/// Where the header fields of a GGUF (v3, little-endian) lie, found by walking a file we wrote
/// ourselves (so bounds failures are test failures: every read is checked and gives nil).
struct GGUFLayout {
    struct TensorInfo { var nDims: Int; var type: Int; var offset: Int }
    var firstKey = 24
    var firstValueType = 0
    /// The length field of the first string-typed metadata value.
    var firstStringValue: Int?
    var tensors: [TensorInfo] = []

    init?(_ bytes: [UInt8]) {
        var position = 0
        func read(_ width: Int) -> UInt64? {
            guard position >= 0, width <= bytes.count - position else { return nil }
            var value: UInt64 = 0
            for index in 0..<width { value |= UInt64(bytes[position + index]) << (8 * UInt64(index)) }
            position += width
            return value
        }
        func skipString() -> Bool {
            guard let length = read(8), length <= UInt64(bytes.count) else { return false }
            position += Int(length)
            return position <= bytes.count
        }
        func skipValue(_ type: UInt64) -> Bool {
            let widths: [UInt64: Int] = [0: 1, 1: 1, 2: 2, 3: 2, 4: 4, 5: 4, 6: 4, 7: 1, 10: 8, 11: 8, 12: 8]
            if let width = widths[type] { return read(width) != nil }
            if type == 8 { return skipString() }
            guard type == 9, let elementType = read(4), let count = read(8), count <= UInt64(bytes.count) else { return false }
            for _ in 0..<count where !skipValue(elementType) { return false }
            return true
        }
        guard read(4) == 0x4655_4747, read(4) == 3, let tensorCount = read(8), let metadataCount = read(8),
              tensorCount <= 10_000, metadataCount <= 10_000 else { return nil }
        for index in 0..<Int(metadataCount) {
            guard skipString() else { return nil }
            if index == 0 { firstValueType = position }
            guard let type = read(4) else { return nil }
            if type == 8, firstStringValue == nil { firstStringValue = position }
            guard skipValue(type) else { return nil }
        }
        for _ in 0..<Int(tensorCount) {
            guard skipString() else { return nil }
            let nDims = position
            guard let dims = read(4), dims <= 8 else { return nil }
            position += 8 * Int(dims)
            let type = position
            guard read(4) != nil else { return nil }
            let offset = position
            guard read(8) != nil else { return nil }
            tensors.append(TensorInfo(nDims: nDims, type: type, offset: offset))
        }
        guard !tensors.isEmpty, firstValueType > 0 else { return nil }
    }
}
