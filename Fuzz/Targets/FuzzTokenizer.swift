import MPTFormats
import MPTTokenizer

/// libFuzzer entry: `tokenizer.json` bytes through the one tokenizer.json reader (JSON, vocab,
/// merges, added-token ids, pipeline declarations), special-token resolution, then — when the
/// BPE tokenizer accepts the file — a short encode of the input's own text and decodes of the
/// result and of ids taken from the input (unknown ones included).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTokenizer(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? TokenizerJSON(bytes: bytes) else { return 0 }
    _ = file.tokenTexts()
    _ = TokenizerSpecialTokens(tokenizer: file, tokenizerConfig: nil, modelConfig: nil, vocabSize: file.idBound)
    guard let tokenizer = try? BPETokenizer(file) else { return 0 }
    let text = String(decoding: bytes.prefix(512), as: UTF8.self)
    let ids = tokenizer.encode(text)
    _ = tokenizer.decode(ids)
    _ = tokenizer.decode(ids, skipSpecialTokens: true)
    var raw: [UInt32] = []
    var index = 0
    while index + 2 <= min(bytes.count, 64) {
        raw.append(UInt32(bytes[index]) << 8 | UInt32(bytes[index + 1]))
        index += 2
    }
    _ = tokenizer.decode(raw + [UInt32.max])
    _ = raw.map { tokenizer.token(for: $0) }
    return 0
}
