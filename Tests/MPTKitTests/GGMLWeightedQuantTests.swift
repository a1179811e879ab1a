import Foundation
import MPTCore
import MPTFormats
import MPTQuant
import Testing

/// ggml's imatrix quantizers (`quantize_*_impl` with `quant_weights`), byte for byte against the
/// block oracle run with an importance vector (Fixtures/scripts/ggml_goldens.py --weighted,
/// ggml of llama-cpp-python 0.3.36): every type, rows of 256 (edge cases) and of 1024, importance
/// vectors with zeros, ties and a 12-decade spread. IQ3_XXS is in GGMLIQ3QuantTests too.
@Suite struct GGMLWeightedQuantTests {
    static let types: [String: GGMLType] = [
        "q4_0": .q4_0, "q4_1": .q4_1, "q5_0": .q5_0, "q5_1": .q5_1, "q8_0": .q8_0, "q2_K": .q2_K, "q3_K": .q3_K,
        "q4_K": .q4_K, "q5_K": .q5_K, "q6_K": .q6_K, "iq4_nl": .iq4_NL, "iq4_xs": .iq4_XS, "iq3_xxs": .iq3_XXS,
        "iq3_s": .iq3_S,
    ]

    struct Case {
        let rows: String
        let importance: String
        let typeName: String
        let values: [Float]
        let rowLength: Int
        let weights: [Float]
        let expected: [UInt8]
    }

    static func cases() throws -> [Case] {
        let object = try JSONSerialization.jsonObject(with: Data(contentsOf: GGMLGoldens.url("weighted/manifest.json")))
        let manifest = try #require(object as? [String: Any])
        var result: [Case] = []
        for input in try #require(manifest["inputs"] as? [[String: Any]]) {
            let shape = try #require(input["shape"] as? [Int])
            let values = try GGMLGoldens.floats("weighted/" + (try #require(input["input"] as? String)))
            for item in try #require(input["importances"] as? [[String: Any]]) {
                let weights = try GGMLGoldens.floats("weighted/" + (try #require(item["importance"] as? String)))
                for (typeName, file) in try #require(item["blocks"] as? [String: String]) {
                    result.append(Case(
                        rows: try #require(input["name"] as? String), importance: try #require(item["name"] as? String),
                        typeName: typeName, values: values, rowLength: shape[1], weights: weights,
                        expected: try GGMLGoldens.bytes("weighted/" + file)))
                }
            }
        }
        return result
    }

    static func quantize(_ item: Case, importance: [Float]) throws -> [UInt8] {
        let type = try #require(types[item.typeName])
        var bytes = [UInt8](repeating: 0, count: try GGMLQuantizer.byteCount(elementCount: item.values.count, as: type))
        try item.values.withUnsafeBufferPointer { values in
            try importance.withUnsafeBufferPointer { weights in
                try bytes.withUnsafeMutableBytes {
                    try GGMLQuantizer.quantizeRows(values, rowLength: item.rowLength, as: type, importance: weights, into: $0)
                }
            }
        }
        return bytes
    }

    @Test func everyTypeMatchesGGMLWithAnImportanceMatrix() throws {
        let all = try Self.cases()
        // Each type: 2 row sets (IQ3 types: rows256_iq, the rows ggml does not abort on) × 5 importances.
        for typeName in Self.types.keys {
            #expect(all.filter { $0.typeName == typeName }.count == 2 * 5, "\(typeName)")
        }
        #expect(all.count == 2 * 5 * Self.types.count)
        for item in all {
            let produced = try Self.quantize(item, importance: item.weights)
            let blockBytes = try #require(Self.types[item.typeName]).typeSize
            let firstDifference = zip(produced, item.expected).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            let equal = produced == item.expected
            #expect(equal,
                    "\(item.typeName) \(item.rows) importance \(item.importance): first difference in block \((firstDifference ?? 0) / blockBytes)")
        }
    }

    /// The goldens must tell weighted from unweighted: with the importance replaced by ones the
    /// bytes differ from ggml's weighted output for every type but Q8_0 (which ignores it).
    @Test func theImportanceChangesTheBytes() throws {
        for item in try Self.cases() where item.rows == "rows1024" && item.importance == "typical" {
            let unweighted = try GGMLQuantizer.quantize(item.values, as: try #require(Self.types[item.typeName]))
            let ones = try Self.quantize(item, importance: [Float](repeating: 1, count: item.rowLength))
            if item.typeName == "q8_0" {
                #expect(unweighted == item.expected)
            } else {
                #expect(unweighted != item.expected, "\(item.typeName)")
                #expect(ones != item.expected, "\(item.typeName)")
            }
        }
    }

    @Test func aWrongImportanceLengthIsAnError() throws {
        let values = [Float](repeating: 1, count: 512)
        var bytes = [UInt8](repeating: 0, count: try GGMLQuantizer.byteCount(elementCount: 512, as: .q4_K))
        #expect(throws: GGMLQuantError.self) {
            try values.withUnsafeBufferPointer { source in
                try [Float](repeating: 1, count: 255).withUnsafeBufferPointer { weights in
                    try bytes.withUnsafeMutableBytes {
                        try GGMLQuantizer.quantizeRows(source, rowLength: 256, as: .q4_K, importance: weights, into: $0)
                    }
                }
            }
        }
    }
}
