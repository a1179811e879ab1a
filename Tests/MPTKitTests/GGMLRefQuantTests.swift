import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant
import Testing

/// The block-oracle goldens (`ggml_ref` section of the manifest): edge-case rows quantized and
/// dequantized by ggml's own C code (`Fixtures/scripts/ggml_ref`, llama-cpp-python 0.3.36).
private enum RefGoldens {
    struct Case {
        let name: String
        let shape: [Int]
        let rows: [String]
        let values: [Float]
        let files: [String: String]
    }

    static let types: [(tag: String, type: GGMLType)] = [
        ("q4_1", .q4_1), ("q5_0", .q5_0), ("q5_1", .q5_1), ("q4_K", .q4_K), ("q5_K", .q5_K), ("q6_K", .q6_K),
    ]

    static func cases() throws -> [Case] {
        let section = try #require(try GGMLGoldens.manifest()["ggml_ref"] as? [String: Any])
        let entries = try #require(section["inputs"] as? [[String: Any]])
        return try entries.map { entry in
            Case(name: try #require(entry["name"] as? String), shape: try #require(entry["shape"] as? [Int]),
                 rows: try #require(entry["rows"] as? [String]),
                 values: try GGMLGoldens.floats(try #require(entry["input"] as? String)),
                 files: entry.compactMapValues { $0 as? String })
        }
    }

    static func expected(_ item: Case, _ tag: String) throws -> (bytes: [UInt8], floats: [Float]) {
        (try GGMLGoldens.bytes(try #require(item.files[tag])),
         try GGMLGoldens.floats(try #require(item.files["\(tag)_dequantized"])))
    }
}

/// Bitwise equality that treats any two NaNs as equal.
private func sameBits(_ lhs: [Float], _ rhs: [Float]) -> Bool {
    lhs.count == rhs.count && zip(lhs, rhs).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}

/// Names the first block (and the row's edge case) where two encodings differ, or nil.
private func firstBadBlock(_ produced: [UInt8], _ expected: [UInt8], type: GGMLType, item: RefGoldens.Case) -> String? {
    guard produced.count == expected.count else { return "size \(produced.count) ≠ \(expected.count)" }
    let blocksPerRow = item.shape[1] / type.blockSize
    for block in 0..<(expected.count / type.typeSize) {
        let range = (block * type.typeSize)..<((block + 1) * type.typeSize)
        if produced[range] != expected[range] {
            let row = block / blocksPerRow
            return "block \(block) (row \(row): \(item.rows[row]))"
        }
    }
    return nil
}

@Test func refQuantizersMatchGGMLBytesWithBothKernels() throws {
    for item in try RefGoldens.cases() {
        for (tag, type) in RefGoldens.types {
            let (expected, _) = try RefGoldens.expected(item, tag)
            for kernel in KernelVariant.allCases {
                let produced = try GGMLQuantizer.quantize(item.values, as: type, kernel: kernel)
                let bad = firstBadBlock(produced, expected, type: type, item: item)
                #expect(bad == nil, "\(item.name) \(type) \(kernel): \(bad ?? "")")
            }
        }
    }
}

@Test func refRowQuantizerOnTwoThreadsMatchesGGML() throws {
    for item in try RefGoldens.cases() {
        for (tag, type) in RefGoldens.types {
            let (expected, _) = try RefGoldens.expected(item, tag)
            var produced = [UInt8](repeating: 0, count: expected.count)
            try item.values.withUnsafeBufferPointer { source in
                try produced.withUnsafeMutableBytes { target in
                    try GGMLQuantizer.quantizeRows(source, rowLength: item.shape[1], as: type, into: target, threads: 2)
                }
            }
            #expect(produced == expected, "\(item.name) \(type)")
        }
    }
}

@Test func refDequantizersMatchGGMLFloatsBitForBit() throws {
    for item in try RefGoldens.cases() {
        for (tag, type) in RefGoldens.types {
            let (bytes, expected) = try RefGoldens.expected(item, tag)
            for kernel in KernelVariant.allCases {
                let restored = try GGMLQuantizer.dequantize(bytes, as: type, kernel: kernel)
                #expect(sameBits(restored, expected), "\(item.name) \(type) \(kernel)")
            }
        }
    }
}

/// The comparisons above bite: one flipped nibble anywhere in a block is reported as a byte
/// mismatch naming that block, and changes the dequantized floats (checked on every byte of a
/// random-data super-block, so every field of each layout is covered).
@Test func flippedNibblesAreDetected() throws {
    let item = try #require(try RefGoldens.cases().first { $0.name == "ref_cases_256" })
    let row = try #require(item.rows.firstIndex(of: "normal 0"))
    for (tag, type) in RefGoldens.types {
        let (expected, floats) = try RefGoldens.expected(item, tag)
        let blocksPerRow = item.shape[1] / type.blockSize
        let first = row * blocksPerRow * type.typeSize
        var undetectedFloats = 0
        for offset in first..<(first + type.typeSize) {
            for mask: UInt8 in [0x01, 0x10] {
                var broken = expected
                broken[offset] ^= mask
                let bad = firstBadBlock(broken, expected, type: type, item: item)
                #expect(bad?.contains("block \(offset / type.typeSize) ") == true, "\(type) byte \(offset)")
                if sameBits(try GGMLQuantizer.dequantize(broken, as: type, kernel: .simd), floats) { undetectedFloats += 1 }
            }
        }
        // Only the unused top bits of Q4_K/Q5_K's packed 6-bit scale bytes may not matter; a
        // flipped low bit of every byte and a flipped nibble-4 bit of every quant do.
        #expect(undetectedFloats <= 8, "\(type): \(undetectedFloats) flips left the floats unchanged")
    }
}

/// Scalar and SIMD twins agree on many random super-blocks of assorted shapes and scales,
/// including ties, repeated values, zeros and groups of very different magnitude.
@Test func refKernelsAgreeOnRandomBlocks() throws {
    var generator = SystemRandomNumberGenerator()
    var values: [Float] = []
    for block in 0..<384 {
        let scale = Float(sign: .plus, exponent: (block % 60) - 30, significand: 1)
        for index in 0..<256 {
            switch block % 6 {
            case 0: values.append(Float.random(in: -1...1, using: &generator) * scale)
            case 1: values.append(Float(Int.random(in: -64...64, using: &generator)) / 4)
            case 2: values.append(Float(Int.random(in: -3...3, using: &generator)))
            case 3: values.append(Float.random(in: 0...1, using: &generator) * Float(1 << (index / 32)))
            case 4: values.append([0, -0.0, 1, -1, 3e38, -3e38, 1e-40, 65504][Int.random(in: 0..<8, using: &generator)])
            default: values.append(Float.random(in: -1...1, using: &generator) * (index == block % 256 ? 1000 : 0.01))
            }
        }
    }
    for (_, type) in RefGoldens.types {
        let scalar = try GGMLQuantizer.quantize(values, as: type, kernel: .scalar)
        let simd = try GGMLQuantizer.quantize(values, as: type, kernel: .simd)
        #expect(scalar == simd, "\(type) quantize")
        #expect(sameBits(try GGMLQuantizer.dequantize(scalar, as: type, kernel: .scalar),
                         try GGMLQuantizer.dequantize(scalar, as: type, kernel: .simd)), "\(type) dequantize")
    }
}

/// A GGUF file holding a tensor of each type reads back with the goldens' bytes and decodes
/// through the graph's read path (`GGUFTensorRecognizer` + `Dequantizer`) to ggml's floats.
@Test func ggufTensorsOfEachRefTypeRoundTripThroughTheReader() throws {
    let item = try #require(try RefGoldens.cases().first { $0.name == "ref_rows_1024" })
    let storage = ByteStorage(copying: item.values.withUnsafeBytes { Array($0) }, origin: "ref")
    let view = try TensorView(storage: storage, dtype: .f32, shape: Shape(checking: item.shape), byteOffset: 0)
    var writer = try GGUFWriter()
    try writer.addMetadata("general.architecture", .string("mpt"))
    for (_, type) in RefGoldens.types {
        try writer.addTensor(name: "w.\(type)", dims: item.shape, type: type) { sink in
            try GGMLQuantizer.write(view, as: type, to: &sink, chunkElements: 1024)
        }
    }
    let output = FileManager.default.temporaryDirectory.appendingPathComponent("mptkit-\(UUID().uuidString)-ref.gguf").path
    defer { try? FileManager.default.removeItem(atPath: output) }
    try writer.write(to: output)
    let file = try GGUFFile.read(path: output)
    let (weights, consumed) = try GGUFTensorRecognizer(file: file).recognize(try file.tensorCollection(origin: output), config: nil)
    #expect(consumed.count == RefGoldens.types.count)
    for (tag, type) in RefGoldens.types {
        let (bytes, floats) = try RefGoldens.expected(item, tag)
        let info = try #require(file.tensor(named: "w.\(type)"))
        #expect(info.type == type)
        #expect(try file.withBytes(of: info) { Array($0) } == bytes, "\(type) bytes")
        let tensor = try #require(weights["w.\(type)"])
        #expect(tensor.format == type.description)
        #expect(sameBits(try Dequantizer.floats(.quantized(tensor)), floats), "\(type) decoded")
    }
}

@Test func typeSizesMatchGGML() {
    let sizes: [GGMLType: Int] = [.q4_1: 20, .q5_0: 22, .q5_1: 24, .q4_K: 144, .q5_K: 176, .q6_K: 210]
    for (type, size) in sizes {
        #expect(type.typeSize == size, "\(type)")
        #expect(GGMLQuantizer.supports(type), "\(type)")
    }
}
