/// The four classes the GPT-2 pre-tokenizer regex distinguishes: `\p{L}`, `\p{N}`, `\s` and
/// everything else. `\s` is Oniguruma's Unicode `\s` (the one HF `tokenizers` uses): the
/// White_Space property — U+0009…U+000D, U+0020, U+0085 and the Zs/Zl/Zp separators. Note that
/// U+001C…U+001F, which Python's `str.isspace` accepts, are not whitespace here.
enum ScalarClass: UInt8 {
    case letter, number, whitespace, other

    /// The class of `scalar`.
    static func of(_ scalar: Unicode.Scalar) -> ScalarClass {
        let value = scalar.value
        if value < 0x10000 { return ScalarClass(rawValue: basicPlane[Int(value)]) ?? .other }
        return computed(scalar)
    }

    /// The class of an ASCII byte (no table walk).
    @inline(__always)
    static func ofASCII(_ byte: UInt8) -> ScalarClass {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"): return .letter
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case 0x09...0x0D, 0x20: return .whitespace
        default: return .other
        }
    }

    private static func computed(_ scalar: Unicode.Scalar) -> ScalarClass {
        let properties = scalar.properties
        if properties.isWhitespace { return .whitespace }
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        default:
            return .other
        }
    }

    /// Classes of U+0000…U+FFFF, computed once (surrogates are not scalars and stay `.other`).
    private static let basicPlane: [UInt8] = (0..<0x10000).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return ScalarClass.other.rawValue }
        return computed(scalar).rawValue
    }
}

/// Character tests of the Rust `regex` crate, used by added tokens' `single_word`, `lstrip` and
/// `rstrip` (`\w`, `\s` with Unicode semantics).
enum RegexCharacter {
    /// Rust regex `\w`: Alphabetic, Mark, Decimal_Number, Connector_Punctuation, Join_Control.
    static func isWord(_ scalar: Unicode.Scalar) -> Bool {
        let properties = scalar.properties
        if properties.isAlphabetic || properties.isJoinControl { return true }
        switch properties.generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark, .decimalNumber, .connectorPunctuation: return true
        default: return false
        }
    }

    /// Rust regex `\s`: the White_Space property.
    static func isSpace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }
}
