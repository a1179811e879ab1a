import Foundation
import MPTCore

/// Test-only reader for Fixtures/goldens/bnb (made by Fixtures/scripts/bnb_goldens.py with bitsandbytes).
struct BitsAndBytesGoldens {
    struct GoldenArray {
        let dtype: String
        let shape: [Int]
        let bytes: [UInt8]

        var floats: [Float] {
            stride(from: 0, to: bytes.count, by: 4).map { offset in
                Float(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8
                    | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
            }
        }

        var dtypeForView: DType? {
            switch dtype {
            case "float32": return .f32
            case "uint8": return .u8
            case "int8": return .i8
            default: return nil
            }
        }

        func view() throws -> TensorView {
            let storage = ByteStorage(copying: bytes, origin: "golden")
            return try TensorView(storage: storage, dtype: dtypeForView ?? .u8, shape: Shape(checking: shape), byteOffset: 0)
        }
    }

    struct Case {
        let name: String
        let kind: String
        let shape: [Int]
        let blocksize: Int
        let doubleQuant: Bool
        let quantStateJSON: String?
        let arrays: [String: GoldenArray]
    }

    /// `nil` when equal, else a short note on the first difference (keeps failure output readable).
    static func difference<T: Equatable>(_ actual: [T], _ expected: [T]?) -> String? {
        guard let expected else { return "no golden" }
        if actual.count != expected.count { return "count \(actual.count) vs \(expected.count)" }
        guard let index = actual.indices.first(where: { actual[$0] != expected[$0] }) else { return nil }
        return "index \(index): \(actual[index]) vs \(expected[index])"
    }

    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures").appendingPathComponent("goldens").appendingPathComponent("bnb")

    static func load() throws -> [Case] {
        let data = try Data(contentsOf: directory.appendingPathComponent("manifest.json"))
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let cases = root["cases"] as? [[String: Any]] else { return [] }
        return try cases.map { entry in
            var arrays: [String: GoldenArray] = [:]
            for (key, value) in entry["arrays"] as? [String: [String: Any]] ?? [:] {
                let file = value["file"] as? String ?? ""
                let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))
                arrays[key] = GoldenArray(dtype: value["dtype"] as? String ?? "", shape: value["shape"] as? [Int] ?? [], bytes: bytes)
            }
            return Case(
                name: entry["name"] as? String ?? "", kind: entry["kind"] as? String ?? "",
                shape: entry["shape"] as? [Int] ?? [], blocksize: entry["blocksize"] as? Int ?? 0,
                doubleQuant: entry["double_quant"] as? Bool ?? false,
                quantStateJSON: entry["quant_state_json"] as? String, arrays: arrays)
        }
    }
}
