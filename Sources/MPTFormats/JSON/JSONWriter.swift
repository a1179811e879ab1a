/// Serializes `JSONValue` deterministically (members in stored order).
public enum JSONWriter {
    /// Compact JSON text (no spaces), as safetensors headers are written.
    public static func compact(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: nil, level: 0)
        return out
    }

    /// Indented JSON text (2 spaces), for config files people read.
    public static func pretty(_ value: JSONValue) -> String {
        var out = ""
        write(value, into: &out, indent: "  ", level: 0)
        return out + "\n"
    }

    /// A JSON string literal with escapes.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }

    private static func write(_ value: JSONValue, into out: inout String, indent: String?, level: Int) {
        let newline = indent == nil ? "" : "\n"
        let pad = { (depth: Int) in indent.map { String(repeating: $0, count: depth) } ?? "" }
        let colon = indent == nil ? ":" : ": "
        switch value {
        case .null: out += "null"
        case let .bool(flag): out += flag ? "true" : "false"
        case let .number(text): out += text
        case let .string(text): out += quote(text)
        case let .array(items):
            if items.isEmpty { out += "[]"; return }
            out += "[" + newline
            for (position, item) in items.enumerated() {
                out += pad(level + 1)
                write(item, into: &out, indent: indent, level: level + 1)
                out += (position + 1 < items.count ? "," : "") + newline
            }
            out += pad(level) + "]"
        case let .object(members):
            if members.isEmpty { out += "{}"; return }
            out += "{" + newline
            for (position, member) in members.enumerated() {
                out += pad(level + 1) + quote(member.key) + colon
                write(member.value, into: &out, indent: indent, level: level + 1)
                out += (position + 1 < members.count ? "," : "") + newline
            }
            out += pad(level) + "}"
        }
    }
}

extension JSONValue {
    /// A number value from an integer.
    public static func int(_ value: Int) -> JSONValue { .number(String(value)) }
    /// A number value from a double (shortest round-trip text; non-finite becomes null).
    public static func double(_ value: Double) -> JSONValue {
        guard value.isFinite else { return .null }
        if value.rounded() == value, abs(value) < 1e15 { return .number(String(Int64(value)) + ".0") }
        return .number(String(value))
    }
}
