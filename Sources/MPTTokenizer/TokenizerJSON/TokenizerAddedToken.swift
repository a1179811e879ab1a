/// A token added on top of the BPE vocabulary (`added_tokens` in tokenizer.json), matched in
/// the text before pre-tokenization.
public struct TokenizerAddedToken: Sendable, Equatable {
    /// The id HF assigns when loading the file (the `id` written in the file is not used).
    public var id: Int
    /// The literal text of the token.
    public var content: String
    /// Only match when not surrounded by word characters.
    public var singleWord: Bool
    /// Swallow whitespace on the left.
    public var leftStrip: Bool
    /// Swallow whitespace on the right.
    public var rightStrip: Bool
    /// Match against the normalized text (with normalized content) rather than the raw text.
    public var normalized: Bool
    /// Special tokens are dropped by `decode(_:skipSpecialTokens: true)`.
    public var special: Bool

    /// Creates an added token.
    public init(id: Int, content: String, singleWord: Bool = false, leftStrip: Bool = false, rightStrip: Bool = false,
                normalized: Bool = true, special: Bool = false) {
        self.id = id
        self.content = content
        self.singleWord = singleWord
        self.leftStrip = leftStrip
        self.rightStrip = rightStrip
        self.normalized = normalized
        self.special = special
    }

    /// Field-wise equality with the content compared byte for byte, as Rust compares strings
    /// (Swift's `String ==` would equate canonically equivalent texts).
    public static func == (lhs: TokenizerAddedToken, rhs: TokenizerAddedToken) -> Bool {
        lhs.id == rhs.id && lhs.declares(sameAs: rhs)
    }

    /// Equality of everything but the id: the same entry as HF's `AddedToken` compares it.
    func declares(sameAs other: TokenizerAddedToken) -> Bool {
        content.utf8.elementsEqual(other.content.utf8) && singleWord == other.singleWord && leftStrip == other.leftStrip
            && rightStrip == other.rightStrip && normalized == other.normalized && special == other.special
    }
}
