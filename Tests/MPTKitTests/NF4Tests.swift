import Foundation
import MPTCore
import MPTQuant
import Testing

@Suite struct NF4Tests {
    static func cases() throws -> [BitsAndBytesGoldens.Case] {
        try BitsAndBytesGoldens.load().filter { $0.kind == "nf4" }
    }

    private func options(_ golden: BitsAndBytesGoldens.Case, simd: Bool = true) -> NF4Options {
        NF4Options(blocksize: golden.blocksize, doubleQuantization: golden.doubleQuant, threadCount: 2, kernel: simd ? .simd : .scalar)
    }

    @Test func goldensArePresent() throws {
        let cases = try Self.cases()
        #expect(cases.count >= 30)
        #expect(cases.contains { $0.doubleQuant } && cases.contains { !$0.doubleQuant })
    }

    @Test func quantizeMatchesBitsAndBytesByteForByte() throws {
        for golden in try Self.cases() {
            let input = try #require(golden.arrays["input"]).floats
            let tensor = try BitsAndBytesNF4.quantize(input, shape: golden.shape, options: options(golden))
            let packed = try #require(golden.arrays["packed"])
            #expect(BitsAndBytesGoldens.difference(tensor.packed, packed.bytes) == nil, "packed codes of \(golden.name)")
            #expect([tensor.packed.count, 1] == packed.shape, "packed shape of \(golden.name)")
            let components = BitsAndBytesNF4.components(of: tensor)
            let expectedNames = ["weight"] + golden.arrays.keys.filter { $0.hasPrefix("qs.") }.map { "weight." + $0.dropFirst(3) }
            #expect(Set(components.map(\.name)) == Set(expectedNames), "component names of \(golden.name)")
            for component in components where component.name != "weight" {
                let key = "qs." + component.name.dropFirst("weight.".count)
                let expected = try #require(golden.arrays[key], "\(key) of \(golden.name)")
                #expect(BitsAndBytesGoldens.difference(component.bytes, expected.bytes) == nil, "\(component.name) bytes of \(golden.name)")
                #expect(component.shape == expected.shape, "\(component.name) shape of \(golden.name)")
                #expect(expected.dtypeForView == component.dtype, "\(component.name) dtype of \(golden.name)")
            }
            let json = try #require(components.last)
            #expect(String(decoding: json.bytes, as: UTF8.self) == golden.quantStateJSON, "quant_state JSON of \(golden.name)")
        }
    }

    @Test func scalarTwinMatchesSIMD() throws {
        var cases = try Self.cases().map { golden in
            (try #require(golden.arrays["input"]).floats, golden.shape, options(golden))
        }
        var generator = SplitMix(seed: 42)
        let random = (0..<(300 * 257)).map { _ in generator.nextFloat() * 3 - 1.5 }
        for blocksize in [32, 64, 256, 4096] {
            cases.append((random, [300, 257], NF4Options(blocksize: blocksize, doubleQuantization: true, threadCount: 2)))
        }
        for (input, shape, simdOptions) in cases {
            var scalarOptions = simdOptions
            scalarOptions.kernel = .scalar
            scalarOptions.threadCount = 1
            let simd = try BitsAndBytesNF4.quantize(input, shape: shape, options: simdOptions)
            let scalar = try BitsAndBytesNF4.quantize(input, shape: shape, options: scalarOptions)
            #expect(simd == scalar, "SIMD vs scalar for shape \(shape) blocksize \(simdOptions.blocksize)")
        }
    }

    @Test func dequantizeFromGoldenComponentsMatchesBitsAndBytes() throws {
        for golden in try Self.cases() {
            var views: [String: TensorView] = ["weight": try #require(golden.arrays["packed"]).view()]
            for (key, array) in golden.arrays where key.hasPrefix("qs.") {
                views["weight." + key.dropFirst(3)] = try array.view()
            }
            let (shape, values) = try BitsAndBytesNF4.dequantize(components: views)
            #expect(shape == golden.shape)
            let expected = try #require(golden.arrays["dequant"]).floats
            #expect(BitsAndBytesGoldens.difference(values.map(\.bitPattern), expected.map(\.bitPattern)) == nil, "dequantized values of \(golden.name)")
        }
    }

    @Test func roundTripErrorIsWithinHalfTheLargestCodeGap() throws {
        let table = BitsAndBytesCodebook.nf4
        let halfGap = zip(table.dropFirst(), table).map { $0 - $1 }.max().map { $0 / 2 } ?? 0
        var generator = SplitMix(seed: 7)
        let values = (0..<(64 * 130 + 7)).map { _ in (generator.nextFloat() - 0.5) * 0.2 }
        for double in [false, true] {
            let tensor = try BitsAndBytesNF4.quantize(values, shape: [values.count], options: NF4Options(doubleQuantization: double))
            let restored = BitsAndBytesNF4.dequantize(tensor)
            let scales = tensor.absmax.floats()
            for index in values.indices {
                let block = index / tensor.blocksize
                // Double quantization perturbs the scale itself by up to one 8-bit step.
                let allowance = double ? Float(0.02) : Float(1e-6)
                let bound = abs(scales[block]) * halfGap * 1.0001 + abs(values[index]) * allowance + 1e-7
                #expect(abs(restored[index] - values[index]) <= bound, "element \(index), double \(double)")
            }
        }
    }

    @Test func rejectsUnsupportedBlocksizeAndBadCounts() {
        #expect(throws: BitsAndBytesError.invalidBlocksize(48)) {
            try BitsAndBytesNF4.quantize([Float](repeating: 0, count: 96), shape: [96], options: NF4Options(blocksize: 48))
        }
        #expect(throws: BitsAndBytesError.elementCountMismatch(expected: 10, actual: 9)) {
            try BitsAndBytesNF4.quantize([Float](repeating: 0, count: 9), shape: [2, 5])
        }
    }

    @Test func rejectsComponentsWithWrongCounts() throws {
        let golden = try #require(try Self.cases().first { $0.doubleQuant })
        var views: [String: TensorView] = ["weight": try #require(golden.arrays["packed"]).view()]
        for (key, array) in golden.arrays where key.hasPrefix("qs.") { views["weight." + key.dropFirst(3)] = try array.view() }
        views["weight.nested_absmax"] = try TensorView(
            storage: ByteStorage(copying: [UInt8](repeating: 0, count: 12), origin: "test"), dtype: .f32,
            shape: Shape(3), byteOffset: 0)
        #expect(throws: BitsAndBytesError.self) { try BitsAndBytesNF4.dequantize(components: views) }
        views["weight.absmax"] = nil
        #expect(throws: BitsAndBytesError.missingComponent("weight.absmax")) { try BitsAndBytesNF4.dequantize(components: views) }
    }
}

/// Deterministic test values (not a golden source: only used where results are compared to each other).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var value = state
        value = (value ^ (value >> 30)) &* 0xBF58_476D_1CE4_E5B9
        value = (value ^ (value >> 27)) &* 0x94D0_49BB_1331_11EB
        return value ^ (value >> 31)
    }
    mutating func nextFloat() -> Float { Float(next() >> 40) / Float(1 << 24) }
}
