import MPTFormats

/// Typed, path-aware access to config keys, so errors name the full key path.
struct ConfigReader {
    let object: JSONValue
    let prefix: String

    func path(_ key: String) -> String { prefix.isEmpty ? key : prefix + "." + key }

    func has(_ key: String) -> Bool {
        guard let value = object[key] else { return false }
        return !value.isNull
    }

    func int(_ key: String) throws -> Int? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let number = value.intValue else {
            throw GraphError.wrongType(key: path(key), expected: "an integer", found: describe(value))
        }
        return number
    }

    func requiredInt(_ key: String, positive: Bool = true) throws -> Int {
        guard let number = try int(key) else { throw GraphError.missingKey(path(key)) }
        if positive && number <= 0 { throw GraphError.invalidValue(key: path(key), problem: "must be positive, found \(number)") }
        return number
    }

    func double(_ key: String) throws -> Double? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let number = value.doubleValue, number.isFinite else {
            throw GraphError.wrongType(key: path(key), expected: "a number", found: describe(value))
        }
        return number
    }

    func bool(_ key: String) throws -> Bool? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let flag = value.boolValue else {
            throw GraphError.wrongType(key: path(key), expected: "true or false", found: describe(value))
        }
        return flag
    }

    func string(_ key: String) throws -> String? {
        guard let value = object[key], !value.isNull else { return nil }
        guard let text = value.stringValue else {
            throw GraphError.wrongType(key: path(key), expected: "a string", found: describe(value))
        }
        return text
    }

    func nested(_ key: String) throws -> ConfigReader? {
        guard let value = object[key], !value.isNull else { return nil }
        guard value.objectMembers != nil else {
            throw GraphError.wrongType(key: path(key), expected: "an object", found: describe(value))
        }
        return ConfigReader(object: value, prefix: path(key))
    }

    private func describe(_ value: JSONValue) -> String {
        switch value {
        case let .string(text): return "\"\(text.prefix(40))\""
        case let .number(text): return text
        case let .bool(flag): return String(flag)
        default: return value.typeName
        }
    }
}
