import Foundation
import Testing
@testable import MPTFormats

/// A tensor of a GGUF file as the whole-file goldens record it (Fixtures/scripts/gguf_file_goldens.py).
struct GoldenTensor: Equatable, CustomStringConvertible {
    var name: String
    var type: String
    var dimsInnermostFirst: [Int]
    var sha256: String

    var description: String { "\(name) \(type) \(dimsInnermostFirst) \(sha256.prefix(12))" }

    /// Every tensor of `file`, in file order, with the SHA-256 of its bytes.
    static func records(of file: GGUFFile) throws -> [GoldenTensor] {
        try file.tensors.map { info in
            GoldenTensor(name: info.name, type: info.type.description, dimsInnermostFirst: info.dims,
                         sha256: try file.withBytes(of: info) { SHA256.hex($0) })
        }
    }
}

/// Fixtures/goldens/gguf_files/<fixture>.json: llama-quantize's output for every file type from
/// llama.cpp's own F32 GGUF of the fixture.
struct GGUFFileGolden {
    struct FileType {
        var fileTypeNumber: Int
        var fallbacks: Int
        var tensors: [GoldenTensor]
    }

    /// Metadata keys whose values may differ from llama.cpp's (Formats/gguf-mpt.md, "Whole-file goldens").
    static let keysAllowedToDiffer: Set<String> = ["general.name", "tokenizer.ggml.pre"]

    var f32Input: [GoldenTensor]
    /// Every metadata key but `general.file_type`, as the golden script encodes it.
    var metadata: [String: JSONValue]
    var fileTypes: [String: FileType]

    static func named(_ fixture: String) throws -> GGUFFileGolden {
        let path = TestPaths.fixture("goldens/gguf_files/\(fixture).json")
        let json = try JSONParser.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        func tensors(_ value: JSONValue?) throws -> [GoldenTensor] {
            try #require(value?.arrayValue).map { entry in
                GoldenTensor(name: try #require(entry["name"]?.stringValue), type: try #require(entry["type"]?.stringValue),
                             dimsInnermostFirst: try #require(entry["dims"]?.arrayValue).compactMap(\.intValue),
                             sha256: try #require(entry["sha256"]?.stringValue))
            }
        }
        var fileTypes: [String: FileType] = [:]
        for (name, entry) in try #require(json["file_types"]?.objectMembers) {
            fileTypes[name] = FileType(fileTypeNumber: try #require(entry["general.file_type"]?.intValue),
                                       fallbacks: try #require(entry["fallbacks"]?.intValue), tensors: try tensors(entry["tensors"]))
        }
        var metadata: [String: JSONValue] = [:]
        for (key, value) in try #require(json["metadata"]?.objectMembers) { metadata[key] = value }
        return GGUFFileGolden(f32Input: try tensors(json["f32_input"]), metadata: metadata, fileTypes: fileTypes)
    }

    /// Whether `value` is what the golden entry `expected` records: the same type name, and for
    /// scalars the same value; for arrays the same element type, count and SHA-256 of the
    /// elements' GGUF encoding (strings as u64 length + UTF-8, numbers little-endian).
    static func value(_ value: GGUFValue, matches expected: JSONValue) -> Bool {
        guard expected["type"]?.stringValue == value.type.description.lowercased() else { return false }
        let golden = expected["value"]
        switch value {
        case let .array(elementType, elements):
            var encoder = GGUFEncoder()
            for element in elements { encoder.value(element) }
            return expected["element_type"]?.stringValue == elementType.description.lowercased()
                && expected["count"]?.intValue == elements.count && expected["sha256"]?.stringValue == SHA256.hex(encoder.bytes)
        case let .string(text): return golden?.stringValue == text
        case let .bool(flag): return golden?.boolValue == flag
        case let .float32(number): return golden?.doubleValue == Double(number)
        case let .float64(number): return golden?.doubleValue == number
        default: return golden?.intValue != nil && golden?.intValue == value.intValue
        }
    }

    /// What differs between `tensors` and the golden `expected`, matched by name: the count (a
    /// missing or extra tensor), then each tensor's type, dims and bytes. Order is not compared
    /// (llama-quantize sorts by layer; Formats/gguf-mpt.md, "Whole-file goldens").
    static func tensorMismatches(_ tensors: [GoldenTensor], expected: [GoldenTensor]) -> [String] {
        var problems: [String] = []
        if tensors.count != expected.count { problems.append("\(tensors.count) tensors, golden has \(expected.count)") }
        var golden: [String: GoldenTensor] = [:]
        for tensor in expected { golden[tensor.name] = tensor }
        var seen: Set<String> = []
        for ours in tensors {
            seen.insert(ours.name)
            guard let theirs = golden[ours.name] else { problems.append("extra tensor \(ours)"); continue }
            if ours != theirs { problems.append("ours \(ours) ≠ golden \(theirs)") }
        }
        for tensor in expected where !seen.contains(tensor.name) { problems.append("missing tensor \(tensor)") }
        return problems
    }

    /// What differs between `file`'s metadata and the golden's, outside `keysAllowedToDiffer`;
    /// `general.file_type` must be `fileTypeNumber`. Key order is not compared (MPTKit writes
    /// `general.file_type` before the tokenizer, llama-quantize appends it).
    func metadataMismatches(_ file: GGUFFile, fileTypeNumber: Int) -> [String] {
        var problems: [String] = []
        if file["general.file_type"]?.intValue != fileTypeNumber {
            problems.append("general.file_type \(String(describing: file["general.file_type"])) ≠ \(fileTypeNumber)")
        }
        var seen: Set<String> = ["general.file_type"]
        for (key, value) in file.metadata where key != "general.file_type" {
            seen.insert(key)
            guard let expected = metadata[key] else { problems.append("extra key \(key)"); continue }
            if !Self.keysAllowedToDiffer.contains(key), !Self.value(value, matches: expected) {
                problems.append("\(key): \(Self.summary(value)) ≠ golden \(JSONWriter.compact(expected))")
            }
        }
        for key in metadata.keys where !seen.contains(key) { problems.append("missing key \(key)") }
        return problems.sorted()
    }

    private static func summary(_ value: GGUFValue) -> String {
        if case let .array(type, elements) = value { return "[\(elements.count) × \(type)]" }
        return "\(value)"
    }
}
