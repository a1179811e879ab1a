import Foundation
import MPTCore
import MPTFormats
import MPTQuant
import Testing

/// The goldens made by `Fixtures/scripts/ggml_goldens.py` with the `gguf` PyPI package.
enum GGMLGoldens {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("goldens").appendingPathComponent("ggml")

    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }

    static func bytes(_ name: String) throws -> [UInt8] { [UInt8](try Data(contentsOf: url(name))) }

    static func floats(_ name: String) throws -> [Float] {
        let raw = try bytes(name)
        return stride(from: 0, to: raw.count, by: 4).map { index in
            Float(bitPattern: UInt32(raw[index]) | UInt32(raw[index + 1]) << 8 | UInt32(raw[index + 2]) << 16 | UInt32(raw[index + 3]) << 24)
        }
    }

    static func manifest() throws -> [String: Any] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: url("manifest.json")))
        return try #require(object as? [String: Any])
    }

    struct Input {
        let name: String
        let shape: [Int]
        let values: [Float]
    }

    static func inputs() throws -> [(input: Input, entry: [String: String])] {
        let entries = try #require(try manifest()["inputs"] as? [[String: Any]])
        return try entries.map { entry in
            let name = try #require(entry["name"] as? String)
            let shape = try #require(entry["shape"] as? [Int])
            let values = try floats(try #require(entry["input"] as? String))
            let files = entry.compactMapValues { $0 as? String }
            return (Input(name: name, shape: shape, values: values), files)
        }
    }
}

private let goldenTypes: [(tag: String, type: GGMLType)] = [("q8_0", .q8_0), ("q4_0", .q4_0)]

/// Bitwise equality that treats any two NaNs as equal.
private func sameFloats(_ lhs: [Float], _ rhs: [Float]) -> Bool {
    guard lhs.count == rhs.count else { return false }
    return zip(lhs, rhs).allSatisfy { $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) }
}

@Test func quantizersMatchGGUFPackageBytes() throws {
    for (input, files) in try GGMLGoldens.inputs() {
        for (tag, type) in goldenTypes {
            let expected = try GGMLGoldens.bytes(try #require(files[tag]))
            for kernel in KernelVariant.allCases {
                let produced = try GGMLQuantizer.quantize(input.values, as: type, kernel: kernel)
                #expect(produced == expected, "\(input.name) \(type) \(kernel)")
            }
        }
    }
}

@Test func rowQuantizerOnTwoThreadsMatchesGoldens() throws {
    for (input, files) in try GGMLGoldens.inputs() {
        for (tag, type) in goldenTypes {
            let expected = try GGMLGoldens.bytes(try #require(files[tag]))
            var produced = [UInt8](repeating: 0, count: expected.count)
            try input.values.withUnsafeBufferPointer { source in
                try produced.withUnsafeMutableBytes { target in
                    try GGMLQuantizer.quantizeRows(source, rowLength: input.shape[1], as: type, into: target, threads: 2)
                }
            }
            #expect(produced == expected, "\(input.name) \(type)")
        }
    }
}

@Test func dequantizersMatchGGUFPackageFloats() throws {
    for (input, files) in try GGMLGoldens.inputs() {
        for (tag, type) in goldenTypes {
            let quantized = try GGMLGoldens.bytes(try #require(files[tag]))
            let expected = try GGMLGoldens.floats(try #require(files["\(tag)_dequantized"]))
            for kernel in KernelVariant.allCases {
                let restored = try GGMLQuantizer.dequantize(quantized, as: type, kernel: kernel)
                #expect(sameFloats(restored, expected), "\(input.name) \(type) \(kernel)")
            }
        }
    }
}

@Test func simdKernelsEqualScalarOnRandomAndEdgeInputs() throws {
    var generator = SystemRandomNumberGenerator()
    var values: [Float] = []
    for block in 0..<512 {
        let scale = Float(sign: .plus, exponent: (block % 40) - 20, significand: 1)
        for _ in 0..<32 {
            switch block % 4 {
            case 0: values.append(Float.random(in: -1...1, using: &generator) * scale)
            case 1: values.append(Float(Int.random(in: -254...254, using: &generator)) / 2) // many .5 ties
            case 2: values.append(Float(Int.random(in: -16...16, using: &generator)) / 2)
            default: values.append([0, -0.0, 1e30, -1e30, 65504, Float.leastNormalMagnitude / 4][Int.random(in: 0..<6, using: &generator)])
            }
        }
    }
    for type in GGMLQuantizer.supportedTypes {
        let scalar = try GGMLQuantizer.quantize(values, as: type, kernel: .scalar)
        let simd = try GGMLQuantizer.quantize(values, as: type, kernel: .simd)
        #expect(scalar == simd, "\(type) quantize")
        let restoredScalar = try GGMLQuantizer.dequantize(scalar, as: type, kernel: .scalar)
        let restoredSIMD = try GGMLQuantizer.dequantize(scalar, as: type, kernel: .simd)
        #expect(sameFloats(restoredScalar, restoredSIMD), "\(type) dequantize")
    }
}

/// Blocks holding NaN or ±infinity do not trap; the scalar and SIMD kernels write the same bytes
/// for every block, finite or holding NaN or ±infinity, and restore the same values from the
/// same bytes; the finite blocks around the poisoned ones come out as they do alone.
@Test func nonFiniteInputsDoNotTrapAndKernelsAgreeOnEveryBlock() throws {
    for type in GGMLQuantizer.supportedTypes {
        let size = type.blockSize
        let finite: [Float] = (0..<size).map { Float($0 % 32 - 16) / 8 }
        var values: [Float] = []
        for poison: Float? in [nil, .nan, nil, .infinity, -.infinity, nil] {
            var block = finite
            if let poison { block[5] = poison }
            values += block
        }
        let finiteBlocks = [0, 2, 5]
        let scalar = try GGMLQuantizer.quantize(values, as: type, kernel: .scalar)
        let simd = try GGMLQuantizer.quantize(values, as: type, kernel: .simd)
        #expect(scalar.count == 6 * type.typeSize)
        func block(_ bytes: [UInt8], _ index: Int) -> [UInt8] { Array(bytes[(index * type.typeSize)..<((index + 1) * type.typeSize)]) }
        for index in [0, 2, 3, 4, 5] {
            #expect(block(scalar, index) == block(simd, index), "\(type) block \(index): scalar and SIMD bytes differ")
        }
        // Block 1 holds a NaN: the SIMD kernel hands it to the scalar twin (ggml's sequential MAX).
        #expect(block(scalar, 1) == block(simd, 1), "\(type) NaN block: scalar and SIMD bytes differ")
        let alone = try GGMLQuantizer.quantize(finite, as: type, kernel: .scalar)
        for block in finiteBlocks {
            #expect(Array(scalar[(block * type.typeSize)..<((block + 1) * type.typeSize)]) == alone, "\(type) block \(block)")
        }
        let restoredScalar = try GGMLQuantizer.dequantize(scalar, as: type, kernel: .scalar)
        let restoredSIMD = try GGMLQuantizer.dequantize(scalar, as: type, kernel: .simd)
        #expect(sameFloats(restoredScalar, restoredSIMD), "\(type): scalar and SIMD values differ")
        let restoredAlone = try GGMLQuantizer.dequantize(alone, as: type, kernel: .scalar)
        for block in finiteBlocks {
            #expect(sameFloats(Array(restoredScalar[(block * size)..<((block + 1) * size)]), restoredAlone), "\(type) block \(block)")
        }
    }
}

@Test func quantizerRejectsPartialBlocksAndWrongBuffers() throws {
    #expect(throws: GGMLQuantError.partialBlock(type: .q8_0, count: 33)) {
        try GGMLQuantizer.quantize([Float](repeating: 1, count: 33), as: .q8_0)
    }
    #expect(throws: GGMLQuantError.unsupportedType(.iq2_XXS)) {
        try GGMLQuantizer.quantize([Float](repeating: 1, count: 256), as: .iq2_XXS)
    }
    let values = [Float](repeating: 1, count: 64)
    var tooSmall = [UInt8](repeating: 0, count: 10)
    #expect(throws: GGMLQuantError.self) {
        try values.withUnsafeBufferPointer { source in
            try tooSmall.withUnsafeMutableBytes { try GGMLQuantizer.quantizeRows(source, rowLength: 64, as: .q4_0, into: $0) }
        }
    }
}

@Test func twoThreadRowQuantizerEqualsScalarOnLargeInput() throws {
    let count = 1 << 18
    let values = (0..<count).map { Float(sin(Double($0) * 0.001)) * Float($0 % 97) }
    // The IQ3 types (scalar-only searches, ~15 ms a block in a debug build) take 1/16 of it.
    for type in GGMLQuantizer.supportedTypes {
        let values = type == .iq3_XXS || type == .iq3_S ? Array(values.prefix(count / 16)) : values
        var bytes = [UInt8](repeating: 0, count: try GGMLQuantizer.byteCount(elementCount: values.count, as: type))
        try values.withUnsafeBufferPointer { source in
            try bytes.withUnsafeMutableBytes {
                try GGMLQuantizer.quantizeRows(source, rowLength: 4096, as: type, into: $0, threads: 2)
            }
        }
        #expect(bytes == (try GGMLQuantizer.quantize(values, as: type, kernel: .scalar)), "\(type)")
    }
}
