import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTTokenizer

/// Finding and reading a model's tokenizer and prompt text.
public enum TokenizerLoading {
    /// Problems locating a tokenizer.
    public enum Failure: Error, Sendable, CustomStringConvertible {
        case noTokenizer(model: String)

        public var description: String {
            switch self {
            case let .noTokenizer(model):
                return "\(model) has no tokenizer.json, so a text prompt cannot be tokenized (give --tokens instead)"
            }
        }
    }

    /// The tokenizer.json of `path`: the file itself, or `tokenizer.json` inside a directory.
    public static func tokenizerPath(for path: String) throws -> String {
        switch FileKind.of(path) {
        case .directory:
            let candidate = path + "/tokenizer.json"
            guard FileKind.of(candidate) == .file else { throw Failure.noTokenizer(model: path) }
            return candidate
        default:
            return path
        }
    }

    /// Reads a tokenizer.json and builds its BPE tokenizer; errors name the file.
    public static func tokenizer(at path: String) throws -> BPETokenizer {
        try ModelTokenizer(path: path).bpe
    }

    /// Reads a UTF-8 text file (invalid sequences become U+FFFD).
    public static func text(ofFile path: String) throws -> String {
        try attributing(to: path) {
            let storage = try ByteStorage(mappingFileAt: path)
            return try storage.withBytes(offset: 0, length: storage.count) { String(decoding: $0, as: UTF8.self) }
        }
    }
}
