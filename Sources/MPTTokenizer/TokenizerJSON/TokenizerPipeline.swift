import MPTFormats

/// A declared `normalizer`: NFC, a sequence of normalizers, or another kind (by its `type`).
public indirect enum TokenizerNormalizer: Sendable, Equatable {
    /// `NFC`: Unicode canonical composition.
    case nfc
    /// `Sequence`: its `normalizers`, applied in order (null members dropped).
    case sequence([TokenizerNormalizer])
    /// Any other `type`, kept by name for the user to refuse.
    case other(type: String)

    /// The declaration's `type` name.
    public var typeName: String {
        switch self {
        case .nfc: return "NFC"
        case .sequence: return "Sequence"
        case let .other(type): return type
        }
    }

    static func read(_ value: JSONValue?, key: String) throws -> TokenizerNormalizer? {
        guard let value, !value.isNull else { return nil }
        switch try TokenizerFields.type(of: value, key: key) {
        case "NFC":
            return .nfc
        case "Sequence":
            let items = try TokenizerFields.array(value["normalizers"], key: key + ".normalizers")
            return .sequence(try items.enumerated().compactMap { index, item in
                try read(item, key: "\(key).normalizers[\(index)]")
            })
        case let other:
            return .other(type: other)
        }
    }
}

/// A declared `pre_tokenizer`: ByteLevel with its options, a sequence, or another kind.
public indirect enum TokenizerPreTokenizer: Sendable, Equatable {
    /// `ByteLevel`; `add_prefix_space` and `use_regex` default to true, as in HF.
    case byteLevel(addPrefixSpace: Bool, useRegex: Bool)
    /// `Sequence`: its `pretokenizers`, applied in order (null members dropped).
    case sequence([TokenizerPreTokenizer])
    /// Any other `type`, kept by name for the user to refuse.
    case other(type: String)

    /// The declaration's `type` name.
    public var typeName: String {
        switch self {
        case .byteLevel: return "ByteLevel"
        case .sequence: return "Sequence"
        case let .other(type): return type
        }
    }

    static func read(_ value: JSONValue?, key: String) throws -> TokenizerPreTokenizer? {
        guard let value, !value.isNull else { return nil }
        switch try TokenizerFields.type(of: value, key: key) {
        case "ByteLevel":
            return .byteLevel(addPrefixSpace: try TokenizerFields.bool(value["add_prefix_space"], key: key + ".add_prefix_space", default: true),
                              useRegex: try TokenizerFields.bool(value["use_regex"], key: key + ".use_regex", default: true))
        case "Sequence":
            let items = try TokenizerFields.array(value["pretokenizers"], key: key + ".pretokenizers")
            return .sequence(try items.enumerated().compactMap { index, item in
                try read(item, key: "\(key).pretokenizers[\(index)]")
            })
        case let other:
            return .other(type: other)
        }
    }
}

/// A declared `post_processor`: its `type` and the whole object (special-token resolution reads
/// its templates).
public struct TokenizerPostProcessor: Sendable, Equatable {
    /// `type` (`ByteLevel`, `TemplateProcessing`, `RobertaProcessing`, `Sequence`, …).
    public let type: String
    /// The post-processor object as written.
    public let json: JSONValue

    static func read(_ value: JSONValue?) throws -> TokenizerPostProcessor? {
        guard let value, !value.isNull else { return nil }
        return TokenizerPostProcessor(type: try TokenizerFields.type(of: value, key: "post_processor"), json: value)
    }
}

/// A declared `decoder`, by its `type`.
public struct TokenizerDecoder: Sendable, Equatable {
    /// `type` (`ByteLevel`, …).
    public let type: String

    /// Whether this is the ByteLevel decoder (tokens become the bytes of their alphabet scalars).
    public var isByteLevel: Bool { type == "ByteLevel" }

    static func read(_ value: JSONValue?) throws -> TokenizerDecoder? {
        guard let value, !value.isNull else { return nil }
        return TokenizerDecoder(type: try TokenizerFields.type(of: value, key: "decoder"))
    }
}
