import MPTFormats

/// Typed reads of tokenizer.json members, failing with a `TokenizerError` naming the key.
enum TokenizerFields {
    /// The `type` string of a pipeline component object.
    static func type(of value: JSONValue, key: String) throws -> String {
        guard value.objectMembers != nil else { throw TokenizerError.wrongType(key: key, expected: "an object", found: value.typeName) }
        guard let type = value["type"] else { throw TokenizerError.missingKey(key + ".type") }
        guard let text = type.stringValue else { throw TokenizerError.wrongType(key: key + ".type", expected: "a string", found: type.typeName) }
        return text
    }

    /// A boolean member; absent or null gives `fallback`.
    static func bool(_ value: JSONValue?, key: String, default fallback: Bool) throws -> Bool {
        guard let value, !value.isNull else { return fallback }
        guard let flag = value.boolValue else { throw TokenizerError.wrongType(key: key, expected: "a boolean", found: value.typeName) }
        return flag
    }

    /// An array member that must be present.
    static func array(_ value: JSONValue?, key: String) throws -> [JSONValue] {
        guard let value else { throw TokenizerError.missingKey(key) }
        guard let items = value.arrayValue else { throw TokenizerError.wrongType(key: key, expected: "an array", found: value.typeName) }
        return items
    }
}
