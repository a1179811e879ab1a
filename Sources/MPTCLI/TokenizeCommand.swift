import ArgumentParser
import MPTCore
import MPTFormats
import MPTReference
import MPTTokenizer

/// `mpt-tokenize MODEL (--text T | --file F | --decode IDS)`: byte-level BPE with a model's
/// tokenizer.json, matching HF `tokenizers`.
public struct TokenizeCommand: ParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "mpt-tokenize",
        abstract: "Tokenize text (or decode ids) with a model's tokenizer.json (or the tokenizer a GGUF stores), exactly as HF tokenizers does.",
        discussion: """
        mpt-tokenize MODEL --text "Hello world"        print the ids, comma-separated
        mpt-tokenize MODEL --file big.txt --count      print token count and timings
        mpt-tokenize MODEL --decode 12092,1533         print the decoded text
        MODEL is a model directory containing tokenizer.json, a tokenizer.json file, or a .gguf file \
        (its tokenizer.ggml.* metadata, with GPT-NeoX's NFC normalization, which GGUF does not store).
        """)

    @Argument(help: "Model directory, tokenizer.json or .gguf file.")
    var model: String

    @Option(help: "Text to tokenize.")
    var text: String?

    @Option(help: "UTF-8 file to tokenize.")
    var file: String?

    @Option(help: "Comma-separated ids to decode instead.")
    var decode: String?

    @Flag(help: "When decoding, drop special tokens.")
    var skipSpecialTokens = false

    @Flag(help: "Print the number of tokens and timings instead of the ids.")
    var count = false

    @OptionGroup var threading: ThreadOptions

    public init() {}

    private var threads: Int { threading.threads }

    public func validate() throws {
        guard [text != nil, file != nil, decode != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --text, --file or --decode")
        }
    }

    public func run() throws {
        try runReportingErrors(tool: "mpt-tokenize") {
            let clock = ContinuousClock()
            let loadStart = clock.now
            let tokenizer = try TokenizerLoading.tokenizer(at: try TokenizerLoading.tokenizerPath(for: model))
            let loadTime = clock.now - loadStart
            if let decode {
                let ids = try TokenSequence.parse(decode).map { id in
                    guard let narrow = UInt32(exactly: id) else { throw TokenSequence.Failure.notANumber(String(id)) }
                    return narrow
                }
                print(tokenizer.decode(ids, skipSpecialTokens: skipSpecialTokens))
                return
            }
            let input = try text ?? TokenizerLoading.text(ofFile: file ?? "")
            let encodeStart = clock.now
            let ids = tokenizer.encode(input, threads: threads)
            let encodeTime = clock.now - encodeStart
            if count {
                let seconds = Double(encodeTime.components.seconds) + Double(encodeTime.components.attoseconds) * 1e-18
                let loadSeconds = Double(loadTime.components.seconds) + Double(loadTime.components.attoseconds) * 1e-18
                let bytes = input.utf8.count
                print("tokens: \(ids.count)")
                print("bytes: \(bytes)")
                print("load_seconds: \(loadSeconds)")
                print("encode_seconds: \(seconds)")
                print("megabytes_per_second: \(seconds > 0 ? Double(bytes) / seconds / 1e6 : 0)")
            } else {
                print(ids.map(String.init).joined(separator: ","))
            }
        }
    }
}
