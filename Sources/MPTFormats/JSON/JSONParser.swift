/// Errors from `JSONParser`, with the byte offset where parsing stopped.
public enum JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidUTF8
    case unexpected(String, offset: Int)
    case duplicateKey(String, offset: Int)
    case tooDeep(limit: Int)
    case trailingData(offset: Int)

    public var description: String {
        switch self {
        case .invalidUTF8: return "JSON is not valid UTF-8"
        case let .unexpected(what, offset): return "invalid JSON at byte \(offset): \(what)"
        case let .duplicateKey(key, offset): return "duplicate JSON key '\(key)' at byte \(offset)"
        case let .tooDeep(limit): return "JSON nested deeper than \(limit) levels"
        case let .trailingData(offset): return "unexpected data after the JSON value at byte \(offset)"
        }
    }
}

/// A strict RFC 8259 JSON parser for untrusted input: UTF-8 only, duplicate keys rejected, nesting
/// depth limited, no recursion deeper than `maxDepth`.
public struct JSONParser {
    /// Deepest nesting accepted.
    public static let defaultMaxDepth = 128

    private let bytes: [UInt8]
    private var index = 0
    private let maxDepth: Int

    /// Parses `bytes` as one JSON document.
    public static func parse(_ bytes: [UInt8], maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw JSONError.invalidUTF8 }
        var parser = JSONParser(bytes: bytes, maxDepth: maxDepth)
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONError.trailingData(offset: parser.index) }
        return value
    }

    /// Parses a UTF-8 string.
    public static func parse(_ text: String, maxDepth: Int = defaultMaxDepth) throws -> JSONValue {
        try parse(Array(text.utf8), maxDepth: maxDepth)
    }

    private init(bytes: [UInt8], maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    private mutating func skipWhitespace() {
        while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
    }

    private func describeHere() -> String {
        guard index < bytes.count else { return "unexpected end of input" }
        let byte = bytes[index]
        if byte >= 0x20 && byte < 0x7F { return "unexpected '\(Character(Unicode.Scalar(byte)))'" }
        return "unexpected byte 0x\(String(byte, radix: 16))"
    }

    private mutating func expect(_ literal: String, produce value: JSONValue) throws -> JSONValue {
        let utf8 = Array(literal.utf8)
        guard index + utf8.count <= bytes.count, Array(bytes[index..<(index + utf8.count)]) == utf8 else {
            throw JSONError.unexpected(describeHere(), offset: index)
        }
        index += utf8.count
        return value
    }

    private mutating func parseValue(depth: Int) throws -> JSONValue {
        guard depth <= maxDepth else { throw JSONError.tooDeep(limit: maxDepth) }
        skipWhitespace()
        guard index < bytes.count else { throw JSONError.unexpected("unexpected end of input", offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject(depth: depth)
        case UInt8(ascii: "["): return try parseArray(depth: depth)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): return try expect("true", produce: .bool(true))
        case UInt8(ascii: "f"): return try expect("false", produce: .bool(false))
        case UInt8(ascii: "n"): return try expect("null", produce: .null)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONError.unexpected(describeHere(), offset: index)
        }
    }

    private mutating func parseObject(depth: Int) throws -> JSONValue {
        index += 1
        var members: [(key: String, value: JSONValue)] = []
        var seen = Set<String>()
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw JSONError.unexpected("expected a string key, " + describeHere(), offset: index)
            }
            let keyOffset = index
            let key = try parseString()
            guard seen.insert(key).inserted else { throw JSONError.duplicateKey(key, offset: keyOffset) }
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else {
                throw JSONError.unexpected("expected ':', " + describeHere(), offset: index)
            }
            index += 1
            let value = try parseValue(depth: depth + 1)
            members.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw JSONError.unexpected("unexpected end of input", offset: index) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
            throw JSONError.unexpected("expected ',' or '}', " + describeHere(), offset: index)
        }
    }

    private mutating func parseArray(depth: Int) throws -> JSONValue {
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(items)
        }
        while true {
            items.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            guard index < bytes.count else { throw JSONError.unexpected("unexpected end of input", offset: index) }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw JSONError.unexpected("expected ',' or ']', " + describeHere(), offset: index)
        }
    }

    private mutating func parseNumber() throws -> JSONValue {
        let start = index
        func digits() -> Int {
            let from = index
            while index < bytes.count, bytes[index] >= UInt8(ascii: "0"), bytes[index] <= UInt8(ascii: "9") { index += 1 }
            return index - from
        }
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count else { throw JSONError.unexpected("incomplete number", offset: start) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else if digits() == 0 {
            throw JSONError.unexpected("invalid number", offset: start)
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard digits() > 0 else { throw JSONError.unexpected("invalid number", offset: start) }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard digits() > 0 else { throw JSONError.unexpected("invalid number", offset: start) }
        }
        return .number(String(decoding: bytes[start..<index], as: UTF8.self))
    }

    private mutating func parseHex4() throws -> UInt32 {
        guard index + 4 <= bytes.count else { throw JSONError.unexpected("truncated \\u escape", offset: index) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[index]
            let digit: UInt32
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default: throw JSONError.unexpected("invalid \\u escape", offset: index)
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }

    private mutating func parseString() throws -> String {
        let start = index
        index += 1
        var scalars = String.UnicodeScalarView()
        var runStart = index
        func flushRun(_ end: Int, into view: inout String.UnicodeScalarView) {
            if end > runStart { view.append(contentsOf: String(decoding: bytes[runStart..<end], as: UTF8.self).unicodeScalars) }
        }
        while true {
            guard index < bytes.count else { throw JSONError.unexpected("unterminated string", offset: start) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                flushRun(index, into: &scalars)
                index += 1
                return String(scalars)
            }
            if byte < 0x20 { throw JSONError.unexpected("control character in string", offset: index) }
            if byte != UInt8(ascii: "\\") { index += 1; continue }
            flushRun(index, into: &scalars)
            index += 1
            guard index < bytes.count else { throw JSONError.unexpected("unterminated string", offset: start) }
            let escape = bytes[index]
            index += 1
            switch escape {
            case UInt8(ascii: "\""): scalars.append("\"")
            case UInt8(ascii: "\\"): scalars.append("\\")
            case UInt8(ascii: "/"): scalars.append("/")
            case UInt8(ascii: "b"): scalars.append("\u{08}")
            case UInt8(ascii: "f"): scalars.append("\u{0C}")
            case UInt8(ascii: "n"): scalars.append("\n")
            case UInt8(ascii: "r"): scalars.append("\r")
            case UInt8(ascii: "t"): scalars.append("\t")
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800..<0xDC00).contains(code), index + 6 <= bytes.count,
                   bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") {
                    let save = index
                    index += 2
                    let low = try parseHex4()
                    if (0xDC00..<0xE000).contains(low) {
                        code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    } else {
                        index = save
                    }
                }
                // Lone surrogates become U+FFFD, as Python's json does not but serde/Rust must.
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default:
                throw JSONError.unexpected("invalid escape", offset: index - 1)
            }
            runStart = index
        }
    }
}
