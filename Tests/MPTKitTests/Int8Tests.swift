import Foundation
import MPTCore
import MPTQuant
import Testing

@Suite struct Int8Tests {
    static func cases() throws -> [BitsAndBytesGoldens.Case] {
        try BitsAndBytesGoldens.load().filter { $0.kind == "int8" }
    }

    @Test func quantizeMatchesBitsAndBytesByteForByte() throws {
        let cases = try Self.cases()
        #expect(cases.count == 3)
        for golden in cases {
            let input = try #require(golden.arrays["input"]).floats
            let tensor = try BitsAndBytesInt8.quantize(input, rows: golden.shape[0], columns: golden.shape[1])
            #expect(BitsAndBytesGoldens.difference(tensor.codes.map { UInt8(bitPattern: $0) }, golden.arrays["CB"]?.bytes) == nil, "CB of \(golden.name)")
            #expect(BitsAndBytesGoldens.difference(tensor.rowAbsmax.map(\.bitPattern), golden.arrays["SCB"]?.floats.map(\.bitPattern)) == nil, "SCB of \(golden.name)")
            for component in BitsAndBytesInt8.components(of: tensor) {
                let expected = try #require(golden.arrays["sd." + component.name], "state dict entry \(component.name)")
                #expect(BitsAndBytesGoldens.difference(component.bytes, expected.bytes) == nil, "\(component.name) of \(golden.name)")
                #expect(component.shape == expected.shape, "\(component.name) shape of \(golden.name)")
                #expect(expected.dtypeForView == component.dtype, "\(component.name) dtype of \(golden.name)")
            }
        }
    }

    @Test func dequantizeFromGoldenStateDictMatchesBitsAndBytes() throws {
        for golden in try Self.cases() {
            var views: [String: TensorView] = [:]
            for (key, array) in golden.arrays where key.hasPrefix("sd.") { views[String(key.dropFirst(3))] = try array.view() }
            let (shape, values) = try BitsAndBytesInt8.dequantize(components: views)
            #expect(shape == golden.shape)
            let expected = try #require(golden.arrays["dequant"]).floats
            #expect(BitsAndBytesGoldens.difference(values.map(\.bitPattern), expected.map(\.bitPattern)) == nil, "dequantized values of \(golden.name)")
        }
    }

    @Test func roundTripErrorIsWithinHalfAStep() throws {
        var generator = SplitMix(seed: 3)
        let rows = 17, columns = 40
        let values = (0..<(rows * columns)).map { _ in (generator.nextFloat() - 0.5) * 4 }
        let tensor = try BitsAndBytesInt8.quantize(values, rows: rows, columns: columns)
        let restored = BitsAndBytesInt8.dequantize(tensor)
        for index in values.indices {
            let step = tensor.rowAbsmax[index / columns] / 127
            // Half a step, plus float16 rounding of the input (relative 2^-11).
            #expect(abs(restored[index] - values[index]) <= step * 0.5001 + abs(values[index]) * 0.0005)
        }
    }

    @Test func rejectsMismatchedCounts() {
        #expect(throws: BitsAndBytesError.self) { try BitsAndBytesInt8.quantize([1, 2, 3], rows: 2, columns: 2) }
    }
}
