import MPTTokenizer
#if canImport(Glibc)
import Glibc
#endif

/// Prints generated tokens as they arrive: decoded text with a tokenizer (held back while it
/// ends in an incomplete UTF-8 sequence), comma-separated ids without one.
final class StreamingText {
    private let tokenizer: BPETokenizer?
    private var generated: [UInt32] = []
    private var printedCount = 0
    private var printedAny = false

    init(tokenizer: BPETokenizer?) { self.tokenizer = tokenizer }

    /// Prints the prompt: `text` as given when there is one, else the ids decoded (or listed).
    func start(prompt ids: [Int], text: String?) {
        if let tokenizer {
            write(text ?? tokenizer.decode(ids.compactMap { UInt32(exactly: $0) }))
        } else {
            write(ids.map(String.init).joined(separator: ","))
            printedAny = !ids.isEmpty
        }
    }

    /// Prints what `token` adds.
    func append(_ token: Int) {
        guard let tokenizer else {
            write((printedAny ? "," : "") + String(token))
            printedAny = true
            return
        }
        generated.append(UInt32(exactly: token) ?? 0)
        let text = Array(tokenizer.decode(generated).unicodeScalars)
        // A trailing U+FFFD may be the start of a character the next token completes.
        guard text.last != "\u{FFFD}" else { return }
        write(String(String.UnicodeScalarView(text[min(printedCount, text.count)...])))
        printedCount = text.count
    }

    /// Prints anything held back and ends the line.
    func finish() {
        if let tokenizer {
            let text = Array(tokenizer.decode(generated).unicodeScalars)
            write(String(String.UnicodeScalarView(text[min(printedCount, text.count)...])))
        }
        write("\n")
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress else { return }
            _ = Glibc.write(1, base, buffer.count)
        }
    }
}
