import Foundation
import MPTFormats

/// The committed table of the JSON types transformers declares for each `config.json` member
/// (`Fixtures/goldens/config_types/mpt_config_types.json`), and a checker of a config against it.
struct ConfigTypeTable {
    /// Section name ("config", "attn_config", …) → member → allowed JSON types.
    let sections: [String: [String: Set<String>]]

    static func committed() throws -> ConfigTypeTable {
        let path = TestPaths.fixture("goldens/config_types/mpt_config_types.json")
        let root = try JSONParser.parse(ChildRun.readWhole(path))
        var sections: [String: [String: Set<String>]] = [:]
        for name in ["config", "attn_config", "ffn_config", "quantization_config"] {
            var members: [String: Set<String>] = [:]
            for member in root[name]?.objectMembers ?? [] {
                members[member.key] = Set((member.value["types"]?.arrayValue ?? []).compactMap(\.stringValue))
            }
            sections[name] = members
        }
        return ConfigTypeTable(sections: sections)
    }

    /// The JSON type name of `value` in the table's vocabulary.
    static func typeName(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case .bool: return "boolean"
        case let .number(text): return text.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) ? "float" : "integer"
        case .string: return "string"
        case let .array(items): return items.allSatisfy { $0.stringValue != nil } ? "array<string>" : "array"
        case .object: return "object"
        }
    }

    /// Every disagreement of `config` with the table: members of the wrong type, members the
    /// table does not know, and nested objects checked against their own section.
    func problems(in config: JSONValue, section: String = "config") -> [String] {
        guard let members = config.objectMembers else { return ["\(section) is \(config.typeName), not an object"] }
        guard let declared = sections[section], !declared.isEmpty else { return ["no table section \(section)"] }
        var problems: [String] = []
        for member in members {
            let path = section == "config" ? member.key : section + "." + member.key
            guard let allowed = declared[member.key] else {
                problems.append("\(path): not in the table (unknown field)")
                continue
            }
            let found = Self.typeName(member.value)
            if !allowed.contains(found) {
                problems.append("\(path): \(found), declared \(allowed.sorted().joined(separator: " | "))")
            }
            if found == "object", sections[member.key] != nil {
                problems += self.problems(in: member.value, section: member.key)
            }
        }
        return problems
    }
}
