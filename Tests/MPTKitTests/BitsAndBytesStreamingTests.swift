import Foundation
import MPTCore
import MPTGraph
@testable import MPTQuant
import Testing

/// NF4 and LLM.int8 quantized piece by piece (the exporter's bounded-memory path) give the bytes
/// of quantizing the whole decoded weight at once, for pieces that cut rows and blocks unevenly.
struct BitsAndBytesStreamingTests {
    private static func noise(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed &* 0x9E37_79B9_7F4A_7C15 | 1
        return (0..<count).map { _ in
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Float(Int64(bitPattern: state % 2_000_001) - 1_000_000) / 250_000
        }
    }

    private static func whole(_ source: TensorSource, dtype: DType) throws -> [Float] {
        try WeightDecoding.decode(source, roundedTo: dtype, threads: 2).values
    }

    /// Row length 200 against blocksizes 64 and 4096 (pieces must be 8 and 512 rows aligned),
    /// pieces far smaller than the matrix, a last piece shorter than the others and an odd count.
    @Test(arguments: [InPlaceWeightTests.Encoding.f32, .bf16])
    func nf4PiecesEqualWholeTensor(encoding: InPlaceWeightTests.Encoding) throws {
        for (rows, columns) in [(1029, 200), (7, 33)] {
            let source = try InPlaceWeightTests.source(Self.noise(rows * columns, seed: 7), rows: rows, columns: columns, encoding)
            let view = try #require(WeightDecoding.rowDecodable(source))
            for blocksize in [64, 4096] {
                for doubleQuantization in [false, true] {
                    let options = NF4Options(blocksize: blocksize, doubleQuantization: doubleQuantization, sourceDType: .bf16)
                    let expected = try BitsAndBytesNF4.quantize(try Self.whole(source, dtype: .bf16), shape: [rows, columns], options: options)
                    for pieceElements in [1, 3000, 1 << 22] {
                        let streamed = try BitsAndBytesStreaming.nf4(
                            view, name: "w", options: options, allowNonfinite: false, pieceElements: pieceElements)
                        let same = streamed == expected  // (not in #expect: it would print both tensors)
                        #expect(same, "\(encoding) \(rows)×\(columns) blocksize \(blocksize) piece \(pieceElements)")
                    }
                }
            }
        }
    }

    @Test(arguments: [InPlaceWeightTests.Encoding.f32, .bf16])
    func int8PiecesEqualWholeTensor(encoding: InPlaceWeightTests.Encoding) throws {
        let (rows, columns) = (517, 96)
        let source = try InPlaceWeightTests.source(Self.noise(rows * columns, seed: 8), rows: rows, columns: columns, encoding)
        let view = try #require(WeightDecoding.rowDecodable(source))
        let expected = try BitsAndBytesInt8.quantize(try Self.whole(source, dtype: .f32), rows: rows, columns: columns)
        for pieceElements in [1, 1000, 1 << 22] {
            let streamed = try BitsAndBytesStreaming.int8(
                view, name: "w", dtype: .f32, threads: 2, allowNonfinite: false, pieceElements: pieceElements)
            let same = streamed == expected
            #expect(same, "\(encoding) piece \(pieceElements)")
        }
    }

    /// A NaN in the first piece and an Inf in the last are both counted in the one error.
    @Test func nonFiniteValuesAreCountedOverEveryPiece() throws {
        var values = Self.noise(64 * 50, seed: 9)
        values[3] = .nan
        values[values.count - 1] = .infinity
        let source = try InPlaceWeightTests.source(values, rows: 64, columns: 50, .f32)
        let view = try #require(WeightDecoding.rowDecodable(source))
        #expect(throws: ConversionError.nonFinite(tensor: "w", count: 2)) {
            try BitsAndBytesStreaming.int8(view, name: "w", dtype: .f32, threads: 2, allowNonfinite: false, pieceElements: 100)
        }
        #expect(throws: ConversionError.nonFinite(tensor: "w", count: 2)) {
            try BitsAndBytesStreaming.nf4(view, name: "w", options: NF4Options(), allowNonfinite: false, pieceElements: 100)
        }
    }
}
