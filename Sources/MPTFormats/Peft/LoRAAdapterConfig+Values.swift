/// Typed reads of `adapter_config.json` values; errors name the key.
extension LoRAAdapterConfig {
    /// True when a JSON value switches an option on (peft tests these with Python truthiness).
    static func isSet(_ value: JSONValue) -> Bool {
        switch value {
        case .null: return false
        case let .bool(flag): return flag
        case let .number(text): return (Double(text) ?? 1) != 0
        case let .string(text): return !text.isEmpty
        case let .array(items): return !items.isEmpty
        case let .object(members): return !members.isEmpty
        }
    }

    /// A short rendering of a value for messages.
    static func render(_ value: JSONValue) -> String {
        switch value {
        case .null: return "null"
        case let .bool(flag): return flag ? "true" : "false"
        case let .number(text): return text
        case let .string(text): return "\"\(text)\""
        case let .array(items): return "[\(items.prefix(4).map(render).joined(separator: ", "))\(items.count > 4 ? ", …" : "")]"
        case .object: return "{…}"
        }
    }

    static func string(_ json: JSONValue, _ key: String) throws -> String? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw PeftError.badConfigValue(key: key, problem: "must be a string, found \(value.typeName)") }
        return text
    }

    static func bool(_ json: JSONValue, _ key: String) throws -> Bool? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else { throw PeftError.badConfigValue(key: key, problem: "must be true or false, found \(value.typeName)") }
        return flag
    }

    static func positiveInt(_ json: JSONValue, _ key: String) throws -> Int? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let number = value.intValue, number > 0 else { throw PeftError.badConfigValue(key: key, problem: "must be a positive integer") }
        return number
    }

    static func number(_ json: JSONValue, _ key: String) throws -> Double? {
        guard let value = json[key], !value.isNull else { return nil }
        guard let number = value.doubleValue, number.isFinite else { throw PeftError.badConfigValue(key: key, problem: "must be a finite number") }
        return number
    }

    static func targets(_ value: JSONValue?) throws -> TargetModules? {
        guard let value, !value.isNull else { return nil }
        if let text = value.stringValue { return .pattern(text) }
        guard let items = value.arrayValue else {
            throw PeftError.badConfigValue(key: "target_modules", problem: "must be a string or a list of strings, found \(value.typeName)")
        }
        var names: [String] = []
        for item in items {
            guard let name = item.stringValue else {
                throw PeftError.badConfigValue(key: "target_modules", problem: "must list strings, found \(item.typeName)")
            }
            names.append(name)
        }
        return .names(names)
    }

    static func patternMap(_ json: JSONValue, _ key: String) throws -> [(key: String, value: JSONValue)] {
        guard let value = json[key], !value.isNull else { return [] }
        guard let members = value.objectMembers else { throw PeftError.badConfigValue(key: key, problem: "must be an object, found \(value.typeName)") }
        return members
    }

    static func layers(_ value: JSONValue?) throws -> [Int]? {
        guard let value, !value.isNull else { return nil }
        if let single = value.intValue { return [single] }
        guard let items = value.arrayValue else {
            throw PeftError.badConfigValue(key: "layers_to_transform", problem: "must be an integer or a list of integers")
        }
        return try items.map { item in
            guard let layer = item.intValue else {
                throw PeftError.badConfigValue(key: "layers_to_transform", problem: "must list integers, found \(item.typeName)")
            }
            return layer
        }
    }
}
