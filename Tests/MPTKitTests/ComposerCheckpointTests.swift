import Foundation
import Testing
@testable import MPTFormats
import MPTCore
import MPTGraph

/// Composer training checkpoints (`Fixtures/scripts/composer_fixture.py`): weights from
/// `state.model`, the config Composer stores, everything else inert; hostile variants refused.
@Suite struct ComposerCheckpointTests {
    private let checkpoint = TestPaths.model("mpt-4h-composer-pt/ep1-ba4-rank0.pt")

    private func hostile(_ name: String) -> String { TestPaths.fixture("hostile/composer/" + name) }

    @Test func readsWeightsFromStateModelAndTheStoredConfig() throws {
        let contents = try PyTorchCheckpoint.readContents(path: checkpoint)
        #expect(contents.layout == .composer)
        // 14 weights of the 2-layer fixture; the Adam moments and RNG tensors are not read.
        #expect(contents.tensors.count == 14)
        #expect(contents.tensors.names.allSatisfy { $0.hasPrefix("model.transformer.") })
        let opened = try CheckpointLoader.open(checkpoint)
        #expect(opened.configFromCheckpoint)
        #expect(opened.pytorchLayout == .composer)
        let stored = try #require(try CheckpointLoader.readConfig(TestPaths.model("mpt-4h-f32-composer/config.json"), required: true))
        #expect(opened.config == stored)
    }

    @Test func theFileNeededPlaceholdersOutsideTheWeights() throws {
        // The allow-list alone refuses the file (NumPy RNG state, timedelta timestamps): the
        // Composer layout is what admits those objects, as inert placeholders.
        let storage = try ByteStorage(mappingFileAt: checkpoint)
        let archive = try ZipArchive(storage: storage)
        let entry = try #require(archive.entries.first { $0.name.hasSuffix("/data.pkl") })
        let pickle = try archive.contents(of: entry)
        #expect(throws: PickleError.self) {
            try PickleMachine().evaluate(pickle.storage, start: pickle.offset, end: pickle.offset + pickle.count)
        }
        let lenient = try PickleMachine(unknownGlobals: .placeholdersOutsideAllowList)
            .evaluate(pickle.storage, start: pickle.offset, end: pickle.offset + pickle.count)
        let layout = try #require(ComposerLayout(lenient))
        #expect(lenient.firstPlaceholder(reachableFrom: layout.model) == nil)
        let anywhere = try #require(lenient.firstPlaceholder(reachableFrom: lenient.root))
        #expect(["numpy", "datetime", "torch.torch_version", "_codecs"].contains { anywhere.global.hasPrefix($0) })
    }

    @Test func weightsReachingOsSystemAreRefused() throws {
        let error = #expect(throws: PyTorchError.self) { try PyTorchCheckpoint.readContents(path: hostile("weights_reach_os_system.pt")) }
        guard case let .composerWeightsReachPlaceholder(global, _)? = error else {
            Issue.record("unexpected \(String(describing: error))"); return
        }
        #expect(global == "posix.system")
        #expect(error.map { "\($0)" }?.contains("nothing was executed") == true)
        #expect(!FileManager.default.fileExists(atPath: "/tmp/mptkit-composer-pwned"))
    }

    @Test func aPlaceholderUsedAsAStorageIsRefused() throws {
        let error = #expect(throws: PickleError.self) { try PyTorchCheckpoint.readContents(path: hostile("placeholder_as_storage.pt")) }
        #expect(error == .forbiddenGlobal("torch.FloatStorag_", offset: error.flatMap(Self.offset) ?? -1))
    }

    @Test func osSystemOutsideTheWeightsStaysInert() throws {
        let contents = try PyTorchCheckpoint.readContents(path: hostile("valid.metadata_os_system.pt"))
        #expect(contents.layout == .composer)
        #expect(contents.tensors.names == ["model.transformer.norm_f.weight"])
        #expect(!FileManager.default.fileExists(atPath: "/tmp/mptkit-composer-pwned"))
    }

    @Test func aPlainCheckpointKeepsTheAllowList() throws {
        // `{"state": {"model": {}}}` without Composer's other keys, naming numpy: refused at the
        // GLOBAL, exactly as before.
        var writer = PickleWriter()
        writer.op(0x80); writer.op(2)
        writer.emptyDict()
        writer.string("state"); writer.emptyDict()
        writer.string("model"); writer.emptyDict(); writer.setItem()
        writer.string("extra"); writer.global("numpy", "dtype"); writer.setItem()
        writer.setItem()
        writer.stop()
        var builder = TestZipBuilder()
        builder.add("archive/data.pkl", writer.bytes)
        let error = #expect(throws: PickleError.self) {
            try PyTorchCheckpoint.read(storage: ByteStorage(copying: builder.build(), origin: "plain.bin"), origin: "plain.bin")
        }
        #expect(error.map { "\($0)" }?.contains("'numpy.dtype'") == true)
    }

    @Test func inspectNamesTheLayoutAndRefusesTheHostileFile() throws {
        let run = try runTool("mpt-inspect", [TestPaths.model("mpt-4h-composer-pt")])
        #expect(run.status == 0)
        #expect(run.standardOutput.contains("Composer checkpoint: weights from state.model"))
        #expect(run.standardOutput.contains("config from state.integrations.huggingface"))
        let refused = try runTool("mpt-inspect", [hostile("weights_reach_os_system.pt")])
        #expect(refused.status == 2)
        #expect(refused.standardError.split(separator: "\n").count == 1)
        #expect(refused.standardError.contains("posix.system"))
    }

    private static func offset(_ error: PickleError) -> Int? {
        if case let .forbiddenGlobal(_, offset) = error { return offset }
        return nil
    }
}

extension ComposerCheckpointTests {
    @Test func aDirectoryWithSeveralTrainingCheckpointsAsksForOne() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for name in ["ep0-ba2-rank0.pt", "ep1-ba4-rank0.pt"] {
            try FileManager.default.createSymbolicLink(atPath: directory + "/" + name, withDestinationPath: checkpoint)
        }
        let error = #expect(throws: FileError.self) { try CheckpointLoader.open(directory) }
        #expect(error.map { "\($0)" }?.contains("several .pt checkpoints (ep0-ba2-rank0.pt, ep1-ba4-rank0.pt)") == true)
    }
}
