import Foundation
import Testing
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// llama.cpp split GGUF files read as one model (fixture: `llama-gguf-split --split-max-tensors 5`
/// of our F16 GGUF of mpt-4h-f32, by Fixtures/scripts/gguf_split_fixture.sh).
@Suite struct GGUFSplitTests {
    private static let parts = (1...3).map { TestPaths.model("mpt-4h-split/mpt-4h-0000\($0)-of-00003.gguf") }

    @Test func anyPartOpensTheWholeModelWithTheSameBytes() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let whole = try GGUFExportSupport.convert(TestPaths.model("mpt-4h-f32"), into: directory, file: "whole.gguf",
                                                  options: try OutputPlan(format: .gguf, dtype: .fixed(.f16)))
        let single = try MPTModel(checkpoint: try CheckpointLoader.open(whole))
        for part in Self.parts {
            let checkpoint = try CheckpointLoader.open(part)
            #expect(checkpoint.files.count == 3)
            let file = try #require(checkpoint.gguf)
            #expect(file.parts.count == 3)
            #expect(Set(file.tensors.map(\.part)) == [0, 1, 2])
            #expect(file[GGUFSplit.countKey] == nil, "split.* keys are the parts' own, not the model's")
            let split = try MPTModel(checkpoint: checkpoint)
            #expect(split.config == single.config)
            #expect(split.orderedTensors.count == 14 && Set(split.tensors.keys) == Set(single.tensors.keys))
            for tensor in single.orderedTensors {
                guard case let .dense(a)? = single.tensors[tensor], case let .dense(b)? = split.tensors[tensor] else {
                    Issue.record("\(tensor) not dense"); continue
                }
                #expect(try a.contiguousBytes() == b.contiguousBytes(), "\(tensor)")
            }
        }
    }

    @Test func theDirectoryOfTheSetOpensAsTheModel() throws {
        let checkpoint = try CheckpointLoader.open(TestPaths.model("mpt-4h-split"))
        #expect(checkpoint.format == .gguf && checkpoint.files.count == 3 && checkpoint.gguf?.parts.count == 3)
    }

    @Test func verifyRunsTheSplitModel() throws {
        let run = try runTool("mpt-verify", [TestPaths.model("mpt-4h-f32"), Self.parts[0], "--tokens", "1,2,3,4"])
        #expect(run.status == 0, "\(run.standardError)")
    }

    /// A copy of the set in a temporary directory, changed by `edit`, must be refused naming the part.
    private func refused(_ expected: String, _ edit: (String) throws -> Void) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for part in Self.parts {
            try FileManager.default.copyItem(atPath: part, toPath: directory + "/" + (part as NSString).lastPathComponent)
        }
        try edit(directory)
        let first = directory + "/mpt-4h-00001-of-00003.gguf"
        let error = #expect(throws: FileError.self) { try CheckpointLoader.open(first) }
        #expect(error.map { "\($0)" }?.contains(expected) == true, "\(String(describing: error))")
        let run = try runTool("mpt-inspect", [first])
        #expect(run.status == 2 && run.standardError.split(separator: "\n").count == 1, "\(run.standardError)")
    }

    @Test func aMissingPartIsNamed() throws {
        try refused("mpt-4h-00002-of-00003.gguf: split GGUF: part 2 of 3 is missing") { directory in
            try FileManager.default.removeItem(atPath: directory + "/mpt-4h-00002-of-00003.gguf")
        }
    }

    @Test func aDuplicatedPartIsNamed() throws {
        try refused("mpt-4h-00003-of-00003.gguf: split GGUF: split.no is 1, but the name says part 3") { directory in
            let third = directory + "/mpt-4h-00003-of-00003.gguf"
            try FileManager.default.removeItem(atPath: third)
            try FileManager.default.copyItem(atPath: directory + "/mpt-4h-00002-of-00003.gguf", toPath: third)
        }
    }

    @Test func aMismatchedSplitCountIsNamed() throws {
        try refused("mpt-4h-00003-of-00003.gguf: split GGUF: split.count is 4, but the set has 3 parts") { directory in
            let third = directory + "/mpt-4h-00003-of-00003.gguf"
            var bytes = Array(try Data(contentsOf: URL(fileURLWithPath: third)))
            // key string, then the value type (u32 UINT16 = 2), then the u16 value.
            let key = Array("split.count".utf8)
            let start = try #require((0...(bytes.count - key.count)).first { Array(bytes[$0..<($0 + key.count)]) == key })
            let value = start + key.count + 4
            #expect(bytes[value] == 3 && bytes[value + 1] == 0)
            bytes[value] = 4
            try Data(bytes).write(to: URL(fileURLWithPath: third))
        }
    }

    @Test func partNamesFollowLlamaSplitPath() {
        #expect(GGUFSplit.path(prefix: "/m/x", number: 2, count: 13) == "/m/x-00002-of-00013.gguf")
        let name = GGUFSplit.partName(of: "/m/x-00002-of-00013.gguf")
        #expect(name?.prefix == "/m/x" && name?.number == 2 && name?.count == 13)
        #expect(GGUFSplit.partName(of: "/m/x-0002-of-00013.gguf") == nil)
        #expect(GGUFSplit.partName(of: "x.gguf") == nil)
    }
}
