import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant
import Testing

/// Goldens for Q2_K, Q3_K, IQ4_NL and IQ4_XS in Fixtures/goldens/ggml/lowbit, made by
/// `Fixtures/scripts/ggml_goldens.py --lowbit` with ggml's own quantizers and decoders (the
/// `ggml_ref` block oracle).
enum LowBitGoldens {
    static let directory = GGMLGoldens.directory.appendingPathComponent("lowbit")

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: directory.appendingPathComponent(name))) }

    static func floats(_ name: String) throws -> [Float] {
        let raw = try bytes(name)
        return stride(from: 0, to: raw.count - 3, by: 4).map { index in
            Float(bitPattern: UInt32(raw[index]) | UInt32(raw[index + 1]) << 8 | UInt32(raw[index + 2]) << 16 | UInt32(raw[index + 3]) << 24)
        }
    }

    static func manifest() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
        return try #require(object as? [String: Any])
    }

    /// The input rows (256 values each) and their case names.
    static func inputs() throws -> (values: [Float], cases: [String]) {
        let manifest = try manifest()
        let values = try floats(try #require(manifest["input"] as? String))
        let cases = try #require(manifest["cases"] as? [String])
        #expect(values.count == cases.count * 256)
        return (values, cases)
    }

    /// The golden file names of `tag` (`blocks`, `dequantized`, `random_blocks`, `random_dequantized`).
    static func files(_ tag: String) throws -> [String: String] {
        let types = try #require(try manifest()["types"] as? [String: Any])
        return try #require(types[tag] as? [String: Any]).compactMapValues { $0 as? String }
    }
}

/// The four types with their golden tags.
private let lowBitTypes: [(tag: String, type: GGMLType)] = [("q2_K", .q2_K), ("q3_K", .q3_K), ("iq4_nl", .iq4_NL), ("iq4_xs", .iq4_XS)]
private let lowBitTags = lowBitTypes.map(\.tag)

private func lowBitType(_ tag: String) throws -> GGMLType {
    try #require(lowBitTypes.first { $0.tag == tag }?.type)
}

/// Bitwise float equality (any two NaNs equal).
private func bitwiseEqual(_ lhs: [Float], _ rhs: [Float]) -> Bool {
    lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}

/// The golden case rows whose bytes differ (for readable failures).
private func differingCases(_ produced: [UInt8], _ expected: [UInt8], cases: [String]) -> [String] {
    guard produced.count == expected.count, !cases.isEmpty else { return ["sizes \(produced.count) vs \(expected.count)"] }
    let rowBytes = expected.count / cases.count
    return cases.indices.filter { row in
        produced[(row * rowBytes)..<((row + 1) * rowBytes)] != expected[(row * rowBytes)..<((row + 1) * rowBytes)]
    }.map { cases[$0] }
}

@Suite("GGML Q2_K, Q3_K, IQ4_NL, IQ4_XS")
struct GGMLKQuantLowBitTests {
    @Test func blockSizesMatchGGML() {
        #expect(GGMLType.q2_K.typeSize == 84 && GGMLType.q2_K.blockSize == 256)
        #expect(GGMLType.q3_K.typeSize == 110 && GGMLType.q3_K.blockSize == 256)
        #expect(GGMLType.iq4_NL.typeSize == 18 && GGMLType.iq4_NL.blockSize == 32)
        #expect(GGMLType.iq4_XS.typeSize == 136 && GGMLType.iq4_XS.blockSize == 256)
        for (_, type) in lowBitTypes {
            #expect(GGMLQuantizer.supports(type))
            #expect(GGMLQuantizer.supportedTypes.contains(type))
        }
    }

    @Test(arguments: lowBitTags)
    func bytesEqualGGMLForBothKernels(tag: String) throws {
        let type = try lowBitType(tag)
        let (values, cases) = try LowBitGoldens.inputs()
        let expected = try LowBitGoldens.bytes(try #require(try LowBitGoldens.files(tag)["blocks"]))
        for kernel in KernelVariant.allCases {
            let produced = try GGMLQuantizer.quantize(values, as: type, kernel: kernel)
            let wrong = differingCases(produced, expected, cases: cases)
            #expect(wrong.isEmpty, "\(type) \(kernel): cases \(wrong)")
        }
    }

    /// Rows holding NaN or ±inf: ggml does not specify the result, but its bytes are
    /// deterministic and both our kernels reproduce them (the SIMD twin via the scalar one).
    @Test(arguments: lowBitTags)
    func nonFiniteRowsEqualGGML(tag: String) throws {
        let type = try lowBitType(tag)
        let values = try LowBitGoldens.floats("nonfinite.f32.bin")
        let expected = try LowBitGoldens.bytes(try #require(try LowBitGoldens.files(tag)["nonfinite_blocks"]))
        let rows = values.count / 256
        for kernel in KernelVariant.allCases {
            let produced = try GGMLQuantizer.quantize(values, as: type, kernel: kernel)
            let wrong = differingCases(produced, expected, cases: (0..<rows).map { "row \($0)" })
            #expect(wrong.isEmpty, "\(type) \(kernel): \(wrong)")
        }
    }

    @Test(arguments: lowBitTags)
    func rowQuantizerOnTwoThreadsEqualsGGML(tag: String) throws {
        let type = try lowBitType(tag)
        let (values, _) = try LowBitGoldens.inputs()
        let expected = try LowBitGoldens.bytes(try #require(try LowBitGoldens.files(tag)["blocks"]))
        // Rows of 512: two super-blocks per row.
        let count = values.count / 512 * 512
        var produced = [UInt8](repeating: 0, count: try GGMLQuantizer.byteCount(elementCount: count, as: type))
        try values.withUnsafeBufferPointer { source in
            try produced.withUnsafeMutableBytes { target in
                try GGMLQuantizer.quantizeRows(UnsafeBufferPointer(rebasing: source[0..<count]), rowLength: 512, as: type, into: target, threads: 2)
            }
        }
        #expect(produced == Array(expected[0..<produced.count]), "\(type)")
    }

    @Test(arguments: lowBitTags)
    func dequantizedFloatsEqualGGMLBitForBit(tag: String) throws {
        let type = try lowBitType(tag)
        let files = try LowBitGoldens.files(tag)
        for (blocksFile, floatsFile) in [("blocks", "dequantized"), ("random_blocks", "random_dequantized")] {
            let blocks = try LowBitGoldens.bytes(try #require(files[blocksFile]))
            let expected = try LowBitGoldens.floats(try #require(files[floatsFile]))
            for kernel in KernelVariant.allCases {
                let restored = try GGMLQuantizer.dequantize(blocks, as: type, kernel: kernel)
                #expect(bitwiseEqual(restored, expected), "\(type) \(blocksFile) \(kernel)")
            }
        }
    }

    /// The comparisons bite: a flipped bit in a golden block changes what we compare against,
    /// and both the byte and the float checks notice.
    @Test(arguments: lowBitTags)
    func flippedBitsAreDetected(tag: String) throws {
        let type = try lowBitType(tag)
        let (values, cases) = try LowBitGoldens.inputs()
        let files = try LowBitGoldens.files(tag)
        let golden = try LowBitGoldens.bytes(try #require(files["blocks"]))
        let goldenFloats = try LowBitGoldens.floats(try #require(files["dequantized"]))
        let produced = try GGMLQuantizer.quantize(values, as: type, kernel: .simd)
        // A quant bit of the `normal_0` case (last byte of its first block, inside the quants
        // for every layout), and the low bit of its f16 scale field.
        let row = try #require(cases.firstIndex(of: "normal_0"))
        let blockStart = row * (golden.count / cases.count)
        let scaleByte: Int
        switch type {
        case .q2_K: scaleByte = 80
        case .q3_K: scaleByte = 108
        default: scaleByte = 0
        }
        for byte in [blockStart + type.typeSize - 1, blockStart + scaleByte] {
            var broken = golden
            broken[byte] ^= 0x01
            #expect(produced != broken, "\(type): flipped byte \(byte) not detected")
            #expect(differingCases(produced, broken, cases: cases) == ["normal_0"])
            let restored = try GGMLQuantizer.dequantize(broken, as: type, kernel: .scalar)
            #expect(!bitwiseEqual(restored, goldenFloats), "\(type): flipped byte \(byte) decodes like the golden")
        }
    }

    /// Many random blocks of varied shape (`kQuantTestBlocks`: scales from 1e-20 to 1e20, ties,
    /// zero sub-blocks, outliers, subnormal sub-blocks): the SIMD twins write the scalar twins'
    /// bytes and decode to the same floats.
    @Test(arguments: lowBitTags)
    func simdEqualsScalarOnRandomBlocks(tag: String) throws {
        let type = try lowBitType(tag)
        var generator = SplitMix64(seed: 0x5EED_0000 &+ UInt64(type.rawValue))
        let blocks = 96
        let values = kQuantTestBlocks(blocks, seed: 0x5EED_0000 &+ UInt64(type.rawValue))
        let scalar = try GGMLQuantizer.quantize(values, as: type, kernel: .scalar)
        let simd = try GGMLQuantizer.quantize(values, as: type, kernel: .simd)
        let rowBytes = scalar.count / blocks
        let wrong = (0..<blocks).filter { scalar[($0 * rowBytes)..<(($0 + 1) * rowBytes)] != simd[($0 * rowBytes)..<(($0 + 1) * rowBytes)] }
        #expect(wrong.isEmpty, "\(type): blocks \(wrong) differ")
        // Decoders on arbitrary bytes, too.
        let noise = (0..<(blocks * rowBytes)).map { _ in UInt8(truncatingIfNeeded: generator.next() >> 56) }
        for bytes in [scalar, noise] {
            let restoredScalar = try GGMLQuantizer.dequantize(bytes, as: type, kernel: .scalar)
            let restoredSIMD = try GGMLQuantizer.dequantize(bytes, as: type, kernel: .simd)
            #expect(bitwiseEqual(restoredScalar, restoredSIMD), "\(type) dequantize")
        }
    }

    /// A GGUF file holding a tensor of each type decodes through the checkpoint read path
    /// (`GGUFTensorRecognizer` → `Dequantizer`) to ggml's floats.
    @Test func ggufTensorsOfEachTypeDecodeThroughReadPath() throws {
        let (values, cases) = try LowBitGoldens.inputs()
        var writer = try GGUFWriter()
        try writer.addMetadata("general.architecture", .string("testarch"))
        var expectedFloats: [String: [Float]] = [:]
        for (tag, type) in lowBitTypes {
            let files = try LowBitGoldens.files(tag)
            let blocks = try LowBitGoldens.bytes(try #require(files["blocks"]))
            expectedFloats["t.\(tag)"] = try LowBitGoldens.floats(try #require(files["dequantized"]))
            try writer.addTensor(name: "t.\(tag)", dims: [cases.count, 256], type: type) { sink in try sink.write(blocks) }
        }
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("mptkit-lowbit-\(UUID().uuidString).gguf").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try writer.write(to: path, durable: false)
        let file = try GGUFFile.read(path: path)
        let collection = try file.tensorCollection(origin: path)
        let (weights, consumed) = try GGUFTensorRecognizer(file: file).recognize(collection, config: nil)
        #expect(consumed.count == lowBitTypes.count)
        for (tag, type) in lowBitTypes {
            let tensor = try #require(weights["t.\(tag)"])
            #expect(tensor.format == type.description)
            #expect(tensor.shape == [cases.count, 256])
            let decoded = try Dequantizer.floats(.quantized(tensor))
            #expect(bitwiseEqual(decoded, try #require(expectedFloats["t.\(tag)"])), "\(type)")
        }
        #expect(values.count == cases.count * 256)
    }
}
