import MPTCore

/// A llama-perplexity `--kl-divergence-base` file, memory-mapped: the reference model's
/// log-probabilities over a text, compressed to `UInt16` per vocabulary entry.
///
/// Layout (all little-endian): `_logits_`, `n_ctx` (u32), `n_vocab` (i32), `n_chunk` (i32),
/// `n_ctx · n_chunk` token ids (i32), then for each chunk `n_ctx − 1 − n_ctx/2` rows of
/// `2·⌈n_vocab/2⌉ + 4` `UInt16` slots (a row: scale and smallest log-prob as two f32, then the
/// codes). Formats/kl-base.md documents it.
public struct KLBaseFile: Sendable {
    /// Where the bytes came from.
    public let path: String
    /// Tokens per chunk.
    public let context: Int
    /// Vocabulary size.
    public let vocab: Int
    /// Chunks stored.
    public let chunks: Int
    /// The text's tokens, `context · chunks` of them.
    public let tokens: [Int]
    /// `UInt16` slots per row.
    public let rowSlots: Int
    /// Rows per chunk (`context − 1 − context/2`).
    public let rowsPerChunk: Int
    private let storage: ByteStorage
    private let rowsOffset: Int

    /// Largest context and vocabulary accepted (llama.cpp's own limits are smaller).
    public static let maxContext = 1 << 20
    public static let maxVocab = 1 << 22

    /// Maps and checks `path`: magic, header ranges, token ids, and that the size is exactly
    /// what the header describes.
    public init(path: String) throws {
        let storage = try ByteStorage(mappingFileAt: path)
        var cursor = try ByteCursor(storage)
        guard (try? cursor.readBytes(8)) == Array("_logits_".utf8) else { throw KLBaseFileError.badMagic(file: path) }
        func header(_ name: String, _ read: (inout ByteCursor) throws -> Int64, limit: Int) throws -> Int {
            guard let value = try? read(&cursor) else { throw KLBaseFileError.truncated(file: path, what: name) }
            guard value > 0, value <= Int64(limit) else { throw KLBaseFileError.badHeader(file: path, field: name, value: value) }
            return Int(value)
        }
        let context = try header("n_ctx", { Int64(try $0.readUInt32LE()) }, limit: Self.maxContext)
        let vocab = try header("n_vocab", { Int64(try $0.readInt32LE()) }, limit: Self.maxVocab)
        let chunks = try header("n_chunk", { Int64(try $0.readInt32LE()) }, limit: Int(Int32.max))
        guard context >= 4 else { throw KLBaseFileError.badHeader(file: path, field: "n_ctx", value: Int64(context)) }
        let rowSlots = 2 * ((vocab + 1) / 2) + 4
        let rowsPerChunk = context - 1 - context / 2
        let tokenCount = try Checked.multiply(context, chunks, "\(path): token count")
        let rowBytes = try Checked.multiply(rowSlots, 2, "\(path): row size")
        let chunkBytes = try Checked.multiply(rowBytes, rowsPerChunk, "\(path): chunk size")
        let expected = try Checked.add(
            try Checked.add(20, try Checked.multiply(tokenCount, 4, "\(path): token bytes"), "\(path): header size"),
            try Checked.multiply(chunkBytes, chunks, "\(path): log-prob bytes"), "\(path): file size")
        guard storage.count == expected else {
            throw KLBaseFileError.sizeMismatch(file: path, expected: expected, actual: storage.count)
        }
        var tokens: [Int] = []
        tokens.reserveCapacity(tokenCount)
        for index in 0..<tokenCount {
            let token = try cursor.readInt32LE()
            guard token >= 0, Int(token) < vocab else {
                throw KLBaseFileError.tokenOutOfRange(file: path, index: index, token: token, vocab: vocab)
            }
            tokens.append(Int(token))
        }
        self.path = path
        self.context = context
        self.vocab = vocab
        self.chunks = chunks
        self.tokens = tokens
        self.rowSlots = rowSlots
        self.rowsPerChunk = rowsPerChunk
        self.storage = storage
        self.rowsOffset = cursor.offset
    }

    /// Calls `body` with the `UInt16` row of scored position `row` (0 ..< rowsPerChunk) of `chunk`.
    public func withRow<R>(chunk: Int, row: Int, _ body: (UnsafeBufferPointer<UInt16>) throws -> R) throws -> R {
        guard (0..<chunks).contains(chunk), (0..<rowsPerChunk).contains(row) else {
            throw KLBaseFileError.truncated(file: path, what: "row \(row) of chunk \(chunk)")
        }
        let offset = rowsOffset + ((chunk * rowsPerChunk) + row) * rowSlots * 2
        return try storage.withBytes(offset: offset, length: rowSlots * 2) { raw in
            #if _endian(little)
            // The file is mapped page-aligned and every row starts at an even offset.
            return try body(raw.assumingMemoryBound(to: UInt16.self))
            #else
            let swapped = (0..<rowSlots).map { UInt16(raw[2 * $0]) | UInt16(raw[2 * $0 + 1]) << 8 }
            return try swapped.withUnsafeBufferPointer(body)
            #endif
        }
    }
}
