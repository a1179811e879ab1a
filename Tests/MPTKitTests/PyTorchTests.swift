import Foundation
import MPTCore
import Testing

@testable import MPTFormats

/// Tensors of safetensors files written by the `safetensors` library (the peer golden), parsed
/// here independently of any MPTKit reader: 8-byte little-endian header length, JSON header,
/// raw little-endian data.
struct TorchTwinSafetensors {
    struct Tensor {
        let dtype: String
        let shape: [Int]
        let bytes: [UInt8]
    }

    var tensors: [String: Tensor] = [:]

    /// Every `*.safetensors` file of a fixture directory (shards merge).
    init(directory: String) throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: PickleFixtures.path(directory))
            .filter { $0.hasSuffix(".safetensors") }.sorted()
        #expect(!files.isEmpty)
        for file in files { try load("\(directory)/\(file)") }
    }

    /// One safetensors fixture file.
    init(file: String) throws {
        try load(file)
    }

    private mutating func load(_ file: String) throws {
        let data = [UInt8](try Data(contentsOf: URL(fileURLWithPath: PickleFixtures.path(file))))
        let headerLength = Int(data[0..<8].enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) })
        let header = try #require(try JSONSerialization.jsonObject(with: Data(data[8..<(8 + headerLength)])) as? [String: Any])
        for (name, value) in header where name != "__metadata__" {
            let info = try #require(value as? [String: Any])
            let offsets = try #require(info["data_offsets"] as? [Int])
            let start = 8 + headerLength + offsets[0]
            let end = 8 + headerLength + offsets[1]
            tensors[name] = Tensor(
                dtype: try #require(info["dtype"] as? String), shape: try #require(info["shape"] as? [Int]),
                bytes: Array(data[start..<end]))
        }
    }
}

@Suite struct PyTorchTests {
    private func read(_ relative: String) throws -> TensorCollection {
        try PyTorchCheckpoint.read(path: PickleFixtures.path(relative))
    }

    /// Every tensor of `bins` (one or more .bin files) is bit-identical, with the same dtype and
    /// shape, to the tensor `goldenName(name)` of the same model saved as safetensors.
    private func expectMatches(
        bins: [String], golden directory: String, expectedDType: DType, expectedCount: Int,
        goldenName: (String) -> String = { $0 == "lm_head.weight" ? "transformer.wte.weight" : $0 }
    ) throws {
        let golden = try TorchTwinSafetensors(directory: directory)
        var seen = 0
        for bin in bins {
            let collection = try read(bin)
            for name in collection.names {
                let view = try #require(collection[name])
                let expected = try #require(golden.tensors[goldenName(name)], "\(name) missing from \(directory)")
                #expect(view.dtype == expectedDType, "\(name)")
                #expect(view.dtype.rawValue == expected.dtype, "\(name)")
                #expect(view.shape.dims == expected.shape, "\(name)")
                #expect(try view.contiguousBytes() == expected.bytes, "\(name) bytes differ")
                seen += 1
            }
        }
        #expect(seen == expectedCount)
    }

    @Test func float32BinMatchesSafetensors() throws {
        try expectMatches(bins: ["models/mpt-4h-f32-bin/pytorch_model.bin"], golden: "models/mpt-4h-f32", expectedDType: .f32, expectedCount: 15)
        // Stored entries are zero-copy views into the file's memory map.
        let collection = try read("models/mpt-4h-f32-bin/pytorch_model.bin")
        let wte = try #require(collection["transformer.wte.weight"])
        #expect(wte.storage.origin == PickleFixtures.path("models/mpt-4h-f32-bin/pytorch_model.bin"))
        #expect(wte.byteOffset % 64 == 0)
    }

    @Test func float16BinMatchesShardedSafetensors() throws {
        try expectMatches(bins: ["models/mpt-4h-f16-bin/pytorch_model.bin"], golden: "models/mpt-4h-f16-sharded", expectedDType: .f16, expectedCount: 21)
    }

    @Test func bfloat16ShardedBinsMatchSafetensors() throws {
        let directory = "models/mpt-6h-clip-bf16-bin-sharded"
        let shards = try FileManager.default.contentsOfDirectory(atPath: PickleFixtures.path(directory))
            .filter { $0.hasSuffix(".bin") }.sorted().map { "\(directory)/\($0)" }
        #expect(shards.count == 3)
        try expectMatches(bins: shards, golden: "models/mpt-6h-clip-bf16", expectedDType: .bf16, expectedCount: 21)
        // Each shard holds exactly the tensors the HF index assigns to it.
        let index = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath:
            PickleFixtures.path("\(directory)/pytorch_model.bin.index.json")))) as? [String: Any])
        let weightMap = try #require(index["weight_map"] as? [String: String])
        for shard in shards {
            let file = URL(fileURLWithPath: shard).lastPathComponent
            #expect(Set(try read(shard).names) == Set(weightMap.filter { $0.value == file }.keys))
        }
    }

    @Test func deflatedRezipMatchesSafetensors() throws {
        try expectMatches(bins: ["models/mpt-4h-f32-bin-deflated/pytorch_model.bin"], golden: "models/mpt-4h-f32", expectedDType: .f32, expectedCount: 15)
        let wte = try #require(try read("models/mpt-4h-f32-bin-deflated/pytorch_model.bin")["transformer.wte.weight"])
        #expect(wte.storage.origin.contains("pytorch_model.bin!pytorch_model/data/"))
    }

    @Test func tiedStoragesAndTransposedViewsMatchSafetensors() throws {
        let path = "models/mpt-4h-f32-bin-tied/pytorch_model.bin"
        let golden = try TorchTwinSafetensors(directory: "models/mpt-4h-f32")
        let collection = try read(path)
        #expect(collection.count == 16)
        let head = try #require(collection["lm_head.weight"])
        let wte = try #require(collection["transformer.wte.weight"])
        #expect(head.storage === wte.storage && head.byteOffset == wte.byteOffset)
        // extra.transposed = out_proj.weight.t(): strides (1, 64), read through the same storage.
        let transposed = try #require(collection["extra.transposed"])
        let outProj = try #require(golden.tensors["transformer.blocks.0.attn.out_proj.weight"])
        #expect(transposed.strides == [1, 64])
        #expect(!transposed.isContiguous)
        #expect(transposed.shape.dims == [outProj.shape[1], outProj.shape[0]])
        var expected: [UInt8] = []
        for column in 0..<outProj.shape[1] {
            for row in 0..<outProj.shape[0] {
                let start = (row * outProj.shape[1] + column) * 4
                expected += outProj.bytes[start..<(start + 4)]
            }
        }
        #expect(try transposed.contiguousBytes() == expected)
        for name in collection.names where name != "extra.transposed" {
            let goldenName = name == "lm_head.weight" ? "transformer.wte.weight" : name
            #expect(try collection[name]?.contiguousBytes() == golden.tensors[goldenName]?.bytes, "\(name)")
        }
    }

    @Test func mosaicGPTNamesMatchSafetensorsAfterRenaming() throws {
        let renames = [(".ln_1.", ".norm_1."), (".ln_2.", ".norm_2."), (".mlp.mlp_up.", ".ffn.up_proj."),
                       (".mlp.mlp_down.", ".ffn.down_proj."), ("transformer.ln_f.", "transformer.norm_f.")]
        try expectMatches(bins: ["models/mpt-4h-f32-mosaicgpt/pytorch_model.bin"], golden: "models/mpt-4h-f32",
                          expectedDType: .f32, expectedCount: 14) { name in
            renames.reduce(name) { $0.replacingOccurrences(of: $1.0, with: $1.1) }
        }
    }

    /// `Fixtures/pytorch/<name>.bin` (torch.save) against its safetensors twin (same tensors,
    /// contiguous), both from `Fixtures/scripts/pytorch_goldens.py`.
    @Test(arguments: [
        ("state_dict_metadata", 4),  // nn.Module.state_dict(): OrderedDict + BUILD(_metadata)
        ("parameters", 2),           // nn.Parameter values: _rebuild_parameter
        ("dtypes", 9),               // float8 via _rebuild_tensor_v3 + UntypedStorage, ints, bool, f64
        ("views", 6),                // storage offsets, transposes, strided slices of one bf16 storage
    ])
    func torchSaveVariantsMatchSafetensorsTwins(name: String, count: Int) throws {
        let golden = try TorchTwinSafetensors(file: "pytorch/\(name).safetensors")
        let collection = try read("pytorch/\(name).bin")
        #expect(collection.count == count)
        #expect(Set(collection.names) == Set(golden.tensors.keys))
        for tensorName in collection.names {
            let view = try #require(collection[tensorName])
            let expected = try #require(golden.tensors[tensorName])
            #expect(view.dtype.rawValue == expected.dtype, "\(tensorName)")
            #expect(view.shape.dims == expected.shape, "\(tensorName)")
            #expect(try view.contiguousBytes() == expected.bytes, "\(tensorName)")
        }
        if name == "views" {
            let full = try #require(collection["full"])
            for other in collection.names { #expect(collection[other]?.storage === full.storage) }
            #expect(collection["transposed"]?.isContiguous == false)
        }
    }

    @Test func validHostileControlLoads() throws {
        let collection = try read("hostile/pickle/valid.bin")
        #expect(collection.names == ["w"])
        let w = try #require(collection["w"])
        #expect(w.dtype == .f32 && w.shape.dims == [4, 4])
        #expect(try w.floats() == (0..<16).map { Float($0) })  // EXPECTED.md: 0..15
    }

    @Test func hostileCheckpointsAreRejectedWithClearErrors() throws {
        func message(_ file: String) -> String {
            do {
                _ = try read("hostile/pickle/\(file)")
                return "accepted"
            } catch {
                return "\(error)"
            }
        }
        #expect(message("os_system.bin").contains("global 'os.system'"))
        #expect(message("builtins_eval.bin").contains("global 'builtins.eval'"))
        #expect(message("unknown_reduce.bin").contains("'torch._utils._rebuild_unknown'"))
        #expect(message("deep_nesting_lists.bin").contains("nesting depth limit"))
        #expect(message("deep_nesting_marks.bin").contains("nesting depth limit"))
        #expect(message("memo_missing.bin").contains("asks for entry 7, which was never stored"))
        #expect(message("truncated_pkl.bin").contains("pickle data ends unexpectedly"))
        #expect(message("missing_storage.bin") == "tensor 'w' refers to storage entry 'archive/data/7', which is not in the archive")
        #expect(message("short_storage.bin") == "storage '0' needs 64 bytes but its archive entry holds 32")
        #expect(message("zip_bomb_deflate.bin").contains("inflates past its declared size of 64 bytes (possible zip bomb)"))
        #expect(message("zip_declared_5gib.bin").contains("over the inflate cap"))
        #expect(message("legacy_pre16.bin").contains("legacy PyTorch checkpoint"))
        #expect(expectZipPickleThrows(PyTorchError.self) { _ = try read("hostile/pickle/legacy_pre16.bin") } == .legacyFormat)
    }

    // MARK: - Archives built in the test

    /// A torch-layout archive with one float32 storage `0` of `numel` elements.
    private func archive(
        pickle: PickleWriter, numel: Int, byteOrder: String? = "little", prefix: String = "archive", zip64: Bool = false
    ) throws -> TensorCollection {
        var builder = TestZipBuilder()
        builder.zip64 = zip64
        builder.add("\(prefix)/data.pkl", pickle.bytes)
        if let byteOrder { builder.add("\(prefix)/byteorder", byteOrder) }
        builder.add("\(prefix)/data/0", (0..<numel).flatMap { zipLE32(Float($0).bitPattern) })
        return try PyTorchCheckpoint.read(storage: ByteStorage(copying: builder.build(), origin: "built"), origin: "built").tensors
    }

    private func singleTensor(numel: UInt8, offset: UInt8, size: [UInt8], stride: [UInt8]) -> PickleWriter {
        var writer = PickleWriter()
        writer.emptyDict(); writer.string("t")
        writer.tensor("FloatStorage", key: "0", numel: numel, offset: offset, size: size, stride: stride)
        writer.setItem(); writer.stop()
        return writer
    }

    @Test func storageOffsetAndStridesAddressTheRightElements() throws {
        // t = storage[2:].as_strided((2, 3), (1, 2)) → rows [2, 4, 6], [3, 5, 7].
        let collection = try archive(pickle: singleTensor(numel: 8, offset: 2, size: [2, 3], stride: [1, 2]), numel: 8,
                                     prefix: "some_folder", zip64: true)
        #expect(try collection["t"]?.floats() == [2, 4, 6, 3, 5, 7])
    }

    @Test func tensorExtentMustFitItsStorageNotJustTheFile() throws {
        // The last element (offset 2 + 1*1 + 2*3 = 9) is past the 8-element storage even though the
        // archive has bytes after it.
        let error = expectZipPickleThrows(PyTorchError.self) {
            _ = try archive(pickle: singleTensor(numel: 8, offset: 2, size: [2, 3], stride: [1, 3]), numel: 8)
        }
        #expect(error == .tensorOutOfStorage(tensor: "t", lastElement: 9, storageElements: 8))
        #expect(error.map { "\($0)" } == "tensor 't' addresses element 9 of a storage holding 8 elements")
    }

    @Test func byteOrderRecordIsHonoured() throws {
        let pickle = singleTensor(numel: 4, offset: 0, size: [4], stride: [1])
        #expect(try archive(pickle: pickle, numel: 4, byteOrder: nil)["t"]?.floats() == [0, 1, 2, 3])
        #expect(expectZipPickleThrows(PyTorchError.self) { _ = try archive(pickle: pickle, numel: 4, byteOrder: "big") } == .bigEndian)
        #expect(expectZipPickleThrows(PyTorchError.self) { _ = try archive(pickle: pickle, numel: 4, byteOrder: "middle") } == .unknownByteOrder("middle"))
    }

    @Test func nestedStateDictsFlattenToDottedNamesAndCyclesAreRefused() throws {
        // {'state': {'model': {'w': tensor}}, 'epoch': 3}
        var writer = PickleWriter()
        writer.emptyDict()
        writer.string("state"); writer.emptyDict()
        writer.string("model"); writer.emptyDict()
        writer.string("w"); writer.tensor("FloatStorage", key: "0", numel: 4, offset: 0, size: [4], stride: [1]); writer.setItem()
        writer.setItem()
        writer.setItem()
        writer.string("epoch"); writer.int(3); writer.setItem()
        writer.stop()
        let collection = try archive(pickle: writer, numel: 4)
        #expect(collection.names == ["state.model.w"])

        // d = {}; d['self'] = d
        var cycle = PickleWriter()
        cycle.emptyDict(); cycle.put(0); cycle.string("self"); cycle.get(0); cycle.setItem(); cycle.stop()
        #expect(expectZipPickleThrows(PyTorchError.self) { _ = try archive(pickle: cycle, numel: 4) } == .repeatedDictionary(path: "self"))

        var list = PickleWriter()
        list.emptyList(); list.stop()
        #expect(expectZipPickleThrows(PyTorchError.self) { _ = try archive(pickle: list, numel: 4) } == .rootNotDictionary(found: "a list"))
    }

    @Test func notACheckpointIsNamed() throws {
        let error = expectZipPickleThrows(PyTorchError.self) {
            _ = try PyTorchCheckpoint.read(storage: ByteStorage(copying: Array("{\"a\": 1}".utf8), origin: "json"), origin: "json")
        }
        #expect(error == .notACheckpoint(leadingBytes: "7b 22 61 22 3a 20 31 7d"))
        var builder = TestZipBuilder()
        builder.add("folder/other.txt", "x")
        let missing = expectZipPickleThrows(PyTorchError.self) {
            _ = try PyTorchCheckpoint.read(storage: ByteStorage(copying: builder.build(), origin: "zip"), origin: "zip")
        }
        #expect(missing == .missingDataPickle)
    }
}
