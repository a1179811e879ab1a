import Foundation
import Testing
@testable import MPTCore
@testable import MPTFormats
@testable import MPTGraph
@testable import MPTQuant

/// The streaming output path: background-written files, in-place fills, reserved headers, and the
/// parallel cast/decode passes that feed them.
@Suite struct OutputPipelineTests {
    private func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var generator = SplitMix64(seed: seed)
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
    }

    /// More than several buffers' worth, in writes of every size (tiny, straddling, larger than a
    /// buffer) and in-place fills, arrives in order; durable or not, and nothing else is left.
    @Test(arguments: [true, false])
    func manyBuffersArriveInOrder(durable: Bool) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.bin"
        let file = try AtomicOutputFile(path: path, durable: durable)
        var expected: [UInt8] = []
        for (index, size) in [1, 7, 3 << 20, 9 << 20, 5, 17 << 20, 4096].enumerated() {
            let bytes = pattern(size, seed: UInt64(index))
            try file.write(bytes)
            expected += bytes
            let filled = pattern(1 << 20, seed: UInt64(100 + index))
            try file.append(byteCount: filled.count) { $0.copyMemory(from: UnsafeRawBufferPointer(start: filled, count: filled.count)) }
            expected += filled
        }
        #expect(file.bytesWritten == expected.count)
        #expect(FileManager.default.fileExists(atPath: path) == false)
        try file.commit()
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == expected)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["out.bin"])
    }

    @Test func overwriteReplacesOnlyWrittenBytes() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/out.bin"
        let file = try AtomicOutputFile(path: path)
        try file.writeZeros(16)
        try file.write(pattern(10 << 20, seed: 1))
        try file.overwrite(at: 0, with: Array("HEADER".utf8))
        #expect(throws: CoreError.self) { try file.overwrite(at: file.bytesWritten - 2, with: [1, 2, 3]) }
        #expect(throws: CoreError.self) { try file.append(byteCount: file.bufferLimit + 1) { _ in } }
        try file.commit()
        let back = try Array(Data(contentsOf: URL(fileURLWithPath: path)))
        #expect(Array(back[0..<6]) == Array("HEADER".utf8))
        #expect(Array(back[6..<16]) == [UInt8](repeating: 0, count: 10))
        #expect(Array(back[16...]) == pattern(10 << 20, seed: 1))
    }

    @Test func uncommittedFileLeavesNothing() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        do {
            let file = try AtomicOutputFile(path: directory + "/out.bin")
            try file.write(pattern(20 << 20, seed: 2))
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory).isEmpty)
    }

    /// A reservation large enough puts the header in place (space-padded); one too small falls
    /// back to rewriting. Both files hold the same tensors and read back through our reader.
    @Test(arguments: [16, 4096])
    func deferredWriterHeaderReservation(reserve: Int) throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let writer = DeferredSafetensorsWriter(directory: directory, headerReserve: reserve, durable: false)
        let floats: [Float] = (0..<(3 << 20)).map { Float($0 % 1000) * 0.25 }
        try writer.append(OutputTensor(name: "big.f32", dtype: .f32, shape: try Shape(3 << 10, 1 << 10)) { try $0.write(floats) })
        try writer.append(name: "blob", dtype: .u8, shape: try Shape(5), bytes: [1, 2, 3, 4, 5])
        #expect(try writer.finish() == ["model.safetensors"])
        let file = try SafetensorsFile.read(path: directory + "/model.safetensors")
        #expect(file.names == ["big.f32", "blob"])
        #expect(try file["big.f32"]?.floats() == floats)
        #expect(try file["blob"]?.contiguousBytes() == [1, 2, 3, 4, 5])
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << ($1.offset * 8) }
        #expect((8 + headerLength) % 8 == 0)
        #expect(reserve < 100 || 8 + headerLength == reserve)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory) == ["model.safetensors"])
    }

    /// The reservation estimate holds the header of a real quantized export.
    @Test func reservationHoldsTheNF4Header() throws {
        let model = try MPTModel(checkpoint: try CheckpointLoader.open(TestPaths.model("mpt-4h-f32")))
        let plan = try OutputPlan(dtype: .fixed(.f32), quant: .nf4)
        let names = BitsAndBytesExport.outputNames(model: model, plan: plan)
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let reserve = DeferredSafetensorsWriter.reserve(forNames: names)
        let writer = DeferredSafetensorsWriter(directory: directory, headerReserve: reserve, durable: false)
        try BitsAndBytesExport.write(model: model, plan: plan, into: writer)
        _ = try writer.finish()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: directory + "/model.safetensors"))
        let headerLength = bytes.prefix(8).enumerated().reduce(0) { $0 | Int($1.element) << ($1.offset * 8) }
        #expect(8 + headerLength == (reserve + 7) / 8 * 8, "the header fit the reservation")
        let written = Set(try SafetensorsFile.read(path: directory + "/model.safetensors").names)
        #expect(written.isSubset(of: Set(names)))
    }

    /// The threaded narrowing equals the scalar twins value for value, with the same counts.
    @Test(arguments: [DType.f16, DType.bf16])
    func parallelCastMatchesScalarTwins(target: DType) throws {
        var generator = SplitMix64(seed: 7)
        var values = (0..<100_003).map { _ in Float.random(in: -70_000...70_000, using: &generator) }
        values[5] = .nan
        values[50_000] = .infinity
        values[99_999] = -.infinity
        var halves = [UInt16](repeating: 0, count: values.count)
        let counts = try values.withUnsafeBufferPointer { source in
            try halves.withUnsafeMutableBufferPointer { try ParallelCast.narrow(source, into: $0, to: target, threads: 2) }
        }
        let scalar = values.map { target == .f16 ? HalfConversion.f16FromFloatScalar($0) : HalfConversion.bf16FromFloatScalar($0) }
        #expect(halves == scalar)
        #expect(counts.nonFinite == 3)
        let overflows = values.filter { $0.isFinite && abs($0) >= 65520 }.count
        #expect(counts.overflows == (target == .f16 ? overflows : 0))
        #expect(target == .bf16 || overflows > 0)
    }

    /// Threaded weight decoding equals decoding, rounding and counting one after the other.
    @Test(arguments: [(DType.f32, DType.bf16), (DType.bf16, DType.bf16), (DType.f16, DType.bf16), (DType.f32, DType.f16)])
    func weightDecodingMatchesSerialPath(stored: DType, compute: DType) throws {
        var generator = SplitMix64(seed: 11)
        var floats = (0..<(96 * 700)).map { _ in Float.random(in: -3...3, using: &generator) }
        floats[1234] = .nan
        var bytes: [UInt8] = []
        for value in floats {
            switch stored {
            case .f32: withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes += $0 }
            case .f16: withUnsafeBytes(of: HalfConversion.f16FromFloatScalar(value).littleEndian) { bytes += $0 }
            default: withUnsafeBytes(of: HalfConversion.bf16FromFloatScalar(value).littleEndian) { bytes += $0 }
            }
        }
        let view = try TensorView(storage: ByteStorage(copying: bytes, origin: "test"), dtype: stored,
                                  shape: try Shape(96, 700), byteOffset: 0)
        let decoded = try WeightDecoding.decode(.dense(view), roundedTo: compute, threads: 2)
        let serial = DTypeCast.rounded(try view.floats(), to: compute)
        #expect(decoded.values.map(\.bitPattern) == serial.map(\.bitPattern))
        #expect(decoded.nonFinite == 1)
    }

    /// Q4_0's scale takes the sign of the FIRST value of largest magnitude (ggml's rule).
    @Test func q4_0ScaleSignFollowsTheFirstLargestMagnitude() throws {
        for (first, second) in [(-3 as Float, 3 as Float), (3, -3)] {
            var block = [Float](repeating: 0.5, count: 32)
            block[9] = first
            block[20] = second
            for kernel in KernelVariant.allCases {
                let bytes = try GGMLQuantizer.quantize(block, as: .q4_0, kernel: kernel)
                let scale = HalfConversion.floatFromF16Scalar(UInt16(bytes[0]) | UInt16(bytes[1]) << 8)
                #expect(scale == first / -8, "\(kernel)")
            }
        }
    }

    /// `--no-sync` changes durability only, not a byte of the output.
    @Test func noSyncWritesTheSameBytes() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for (name, extra) in [("durable", [String]()), ("fast", ["--no-sync"])] {
            let run = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory + "/\(name).gguf", "--quant", "q8_0"] + extra)
            #expect(run.status == 0, "\(run.standardError)")
        }
        let durable = try Data(contentsOf: URL(fileURLWithPath: directory + "/durable.gguf"))
        let fast = try Data(contentsOf: URL(fileURLWithPath: directory + "/fast.gguf"))
        #expect(durable == fast)
        #expect(!durable.isEmpty)
    }
}
