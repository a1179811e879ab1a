/// A byte-level BPE tokenizer read from a Hugging Face `tokenizer.json` (GPT-2, GPT-NeoX/MPT,
/// …) that produces exactly the ids of HF `tokenizers`:
/// added tokens are cut out first (leftmost-longest; non-normalized ones on the raw text,
/// normalized ones on the NFC text of the pieces between), each remaining piece is split by the
/// GPT-2 regex, mapped to bytes, and BPE-merged. Nothing is added by the post-processor.
///
/// Build one from a read `TokenizerJSON` with `BPETokenizer(_:)`, or straight from a file with
/// `BPETokenizer(contentsOf:)`.
public struct BPETokenizer: Sendable {
    let model: BPEModel
    let rawAddedTokens: AddedTokenMatcher
    let normalizedAddedTokens: AddedTokenMatcher
    let normalizesNFC: Bool
    let addPrefixSpace: Bool
    let splitsWithRegex: Bool
    /// Per id: the bytes the ByteLevel decoder turns the token into (nil = unknown id).
    let decodedBytes: [[UInt8]?]
    /// Per id: the token text as `id_to_token` gives it.
    let tokenTexts: [String?]
    /// Per id: whether the token is a special added token.
    let specialIds: [Bool]
    /// Whether the decoder is ByteLevel (otherwise tokens are joined with spaces, HF's default).
    let decodesByteLevel: Bool

    /// One more than the largest id the tokenizer knows (model vocab and added tokens).
    public var vocabularyBound: Int { tokenTexts.count }

    /// The token text of `id` (added tokens first, then the BPE vocab), as HF `id_to_token`.
    public func token(for id: UInt32) -> String? {
        Int(exactly: id).flatMap { $0 < tokenTexts.count ? tokenTexts[$0] : nil }
    }

    /// Encodes `text` into token ids (HF `encode(text).ids`; nothing is added around them).
    public func encode(_ text: String) -> [UInt32] {
        var text = text
        return text.withUTF8 { encode(validUTF8: $0) }
    }

    /// Encodes UTF-8 bytes; invalid sequences are first replaced by U+FFFD as `String(decoding:)` does.
    public func encode(utf8 bytes: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        encode(String(decoding: bytes, as: UTF8.self))
    }

    /// Encodes bytes known to be valid UTF-8 (they come from a `String`).
    func encode(validUTF8 bytes: UnsafeBufferPointer<UInt8>) -> [UInt32] {
        var run = EncodingRun(tokenizer: self)
        run.encode(bytes)
        return run.output
    }

    /// Decodes ids into text as HF `decode(ids, skip_special_tokens:)`: unknown ids are
    /// skipped, byte-level tokens become their bytes, and invalid UTF-8 becomes U+FFFD.
    public func decode(_ ids: [UInt32], skipSpecialTokens: Bool = false) -> String {
        if !decodesByteLevel {
            return ids.compactMap { id -> String? in
                guard let index = Int(exactly: id), index < tokenTexts.count, let text = tokenTexts[index] else { return nil }
                return skipSpecialTokens && specialIds[index] ? nil : text
            }.joined(separator: " ")
        }
        var bytes: [UInt8] = []
        for id in ids {
            guard let index = Int(exactly: id), index < decodedBytes.count, let tokenBytes = decodedBytes[index] else { continue }
            if skipSpecialTokens && specialIds[index] { continue }
            bytes.append(contentsOf: tokenBytes)
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// The state of one encoding: the output ids plus per-run caches and scratch buffers.
struct EncodingRun {
    let tokenizer: BPETokenizer
    var output: [UInt32] = []
    private var cache = BPEWordCache()
    private var scratch = BPEModel.Scratch()
    private var prefixed: [UInt8] = []

    init(tokenizer: BPETokenizer) {
        self.tokenizer = tokenizer
    }

    /// Returns the ids produced so far and starts a new output (the cache is kept).
    mutating func takeOutput() -> [UInt32] {
        defer { output = [] }
        return output
    }

    /// Appends the ids of `bytes`, which must be valid UTF-8.
    mutating func encode(_ bytes: UnsafeBufferPointer<UInt8>) {
        output.reserveCapacity(output.count + bytes.count / 4)
        tokenizer.rawAddedTokens.segments(of: bytes) { segment in
            switch segment {
            case let .token(id):
                output.append(id)
            case let .text(range):
                encodeNormalizing(UnsafeBufferPointer(rebasing: bytes[range]))
            }
        }
    }

    private mutating func encodeNormalizing(_ piece: UnsafeBufferPointer<UInt8>) {
        if tokenizer.normalizesNFC, let normalized = UnicodeNFC.normalize(piece) {
            normalized.withUnsafeBufferPointer { splitNormalizedAddedTokens($0) }
        } else {
            splitNormalizedAddedTokens(piece)
        }
    }

    private mutating func splitNormalizedAddedTokens(_ piece: UnsafeBufferPointer<UInt8>) {
        tokenizer.normalizedAddedTokens.segments(of: piece) { segment in
            switch segment {
            case let .token(id):
                output.append(id)
            case let .text(range):
                preTokenize(UnsafeBufferPointer(rebasing: piece[range]))
            }
        }
    }

    private mutating func preTokenize(_ piece: UnsafeBufferPointer<UInt8>) {
        if tokenizer.addPrefixSpace && piece.first != UInt8(ascii: " ") {
            var buffer = prefixed
            buffer.removeAll(keepingCapacity: true)
            buffer.append(UInt8(ascii: " "))
            buffer.append(contentsOf: piece)
            buffer.withUnsafeBufferPointer { splitWords($0) }
            prefixed = buffer
        } else {
            splitWords(piece)
        }
    }

    private mutating func splitWords(_ piece: UnsafeBufferPointer<UInt8>) {
        guard tokenizer.splitsWithRegex else {
            tokenizeWord(piece)
            return
        }
        var start = 0
        while start < piece.count {
            let end = GPT2PreTokenizer.pieceEnd(in: piece, from: start)
            tokenizeWord(UnsafeBufferPointer(rebasing: piece[start..<end]))
            start = end
        }
    }

    @inline(__always)
    private mutating func tokenizeWord(_ word: UnsafeBufferPointer<UInt8>) {
        if word.count == 1 {
            let id = tokenizer.model.byteIds[Int(word[0])]
            if id >= 0 { output.append(UInt32(id)); return }
        }
        let hash = BPEWordCache.hash(word)
        if cache.appendCached(word, hash: hash, to: &output) { return }
        let before = output.count
        tokenizer.model.tokenize(word, into: &output, scratch: &scratch)
        cache.insert(word, hash: hash, ids: output[before...])
    }
}
