import Foundation
import MPTCore
import MPTFormats
@testable import MPTQuant
import Testing

/// IQ3_XXS against ggml (Fixtures/scripts/ggml_goldens.py --weighted, ggml of llama-cpp-python
/// 0.3.36): without an importance (`quantize_row_iq3_xxs_ref`, weights x²) byte for byte, ggml's
/// dequantization value for value, and the lattice tables generated from ggml's sources. The
/// imatrix path is checked in GGMLWeightedQuantTests.
@Suite struct GGMLIQ3QuantTests {
    struct Unweighted {
        let type: GGMLType
        let values: [Float]
        let rowLength: Int
        let blocks: [UInt8]
        let dequantized: [Float]
    }

    static func unweighted() throws -> [Unweighted] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: GGMLGoldens.url("weighted/manifest.json")))
        let manifest = try #require(object as? [String: Any])
        return try #require(manifest["unweighted"] as? [[String: Any]]).map { entry in
            let typeName = try #require(entry["type"] as? String)
            return Unweighted(
                type: try #require(GGMLWeightedQuantTests.types[typeName]),
                values: try GGMLGoldens.floats("weighted/" + (try #require(entry["input"] as? String))),
                rowLength: try #require(entry["row_length"] as? Int),
                blocks: try GGMLGoldens.bytes("weighted/" + (try #require(entry["blocks"] as? String))),
                dequantized: try GGMLGoldens.floats("weighted/" + (try #require(entry["dequantized"] as? String))))
        }
    }

    @Test func withoutAnImportanceTheBytesAreGGMLs() throws {
        let cases = try Self.unweighted()
        #expect(cases.count == 2 * 2)
        for item in cases {
            let produced = try GGMLQuantizer.quantize(item.values, as: item.type, kernel: .scalar)
            let first = zip(produced, item.blocks).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? 0
            #expect(produced == item.blocks, "\(item.type) rows of \(item.rowLength): first difference in block \(first / item.type.typeSize)")
            #expect(try GGMLQuantizer.quantize(item.values, as: item.type, kernel: .simd) == produced)
        }
    }

    @Test func theDecoderGivesGGMLsValues() throws {
        for item in try Self.unweighted() {
            for kernel in [KernelVariant.scalar, .simd] {
                let restored = try GGMLQuantizer.dequantize(item.blocks, as: item.type, kernel: kernel)
                #expect(restored.map(\.bitPattern) == item.dequantized.map(\.bitPattern), "\(item.type) \(kernel)")
            }
        }
    }

    /// The goldens bite: one flipped bit in a grid index, a sign code or a scale changes the
    /// decoded values, and flipping the sign of one input value changes the encoded bytes.
    @Test func aFlippedBitOrSignIsCaught() throws {
        let item = try #require(try Self.unweighted().first { $0.rowLength == 1024 && $0.type == .iq3_XXS })
        for offset in [2, 2 + 64, 2 + 64 + 3] {  // grid index, sign code, scale (top bits of the u32)
            var broken = item.blocks
            broken[offset] ^= offset == 2 + 64 + 3 ? 0x10 : 0x01
            let restored = try GGMLQuantizer.dequantize(broken, as: item.type)
            #expect(restored.map(\.bitPattern) != item.dequantized.map(\.bitPattern), "byte \(offset)")
        }
        var values = item.values
        values[3] = -values[3]
        #expect(try GGMLQuantizer.quantize(values, as: item.type) != item.blocks)
    }

    /// The lattice as `iq3xs_init_impl(256)` builds it: every grid point maps to itself, every
    /// other code has a non-empty neighbour list of grid points, and the decode grid holds the
    /// same points (byte i of `iq3xxs_grid[k]` is a monotone function of level i of point k).
    @Test func theLatticeIsConsistentWithTheDecodeGrid() {
        let lattice = GGMLIQ3Lattice.xxs
        #expect(lattice.levels.count == 4 * 256)
        var magnitudeOfLevel = [UInt32: UInt32]()
        for (k, point) in GGMLIQGridTables.iq3xxsPoints.enumerated() {
            #expect(lattice.map[Int(point)] == Int32(k))
            for i in 0..<4 {
                let level = (UInt32(point) >> (3 * UInt32(i))) & 7
                let magnitude = (GGMLIQGridTables.iq3xxsGrid[k] >> (8 * UInt32(i))) & 0xFF
                #expect(magnitudeOfLevel[level, default: magnitude] == magnitude)
                magnitudeOfLevel[level] = magnitude
            }
        }
        #expect(magnitudeOfLevel.keys.sorted() == Array(0..<8))
        let offGrid = (0..<4096).filter { lattice.map[$0] < 0 }
        #expect(offGrid.count == 4096 - 256)
        for code in offGrid {
            let start = Int(-lattice.map[code] - 1)
            let count = Int(lattice.neighbours[start])
            #expect(count > 0 && lattice.neighbours[(start + 1)...(start + count)].allSatisfy { $0 < 256 })
        }
    }

    /// Rows whose squares overflow f32 (where ggml aborts) still quantize, without trapping.
    @Test func overflowingRowsDoNotTrap() throws {
        var values = [Float](repeating: 3e38, count: 256)
        values[5] = -1e30
        let bytes = try GGMLQuantizer.quantize(values, as: .iq3_XXS)
        #expect(bytes.count == GGMLType.iq3_XXS.typeSize)
        _ = try GGMLQuantizer.dequantize(bytes, as: .iq3_XXS)
    }
}
