/// What can be wrong with a llama-perplexity `--kl-divergence-base` file.
public enum KLBaseFileError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first eight bytes are not `_logits_`.
    case badMagic(file: String)
    /// A header field is out of range.
    case badHeader(file: String, field: String, value: Int64)
    /// The file ends before `what`.
    case truncated(file: String, what: String)
    /// The file's size does not match its header.
    case sizeMismatch(file: String, expected: Int, actual: Int)
    /// A token id outside the vocabulary.
    case tokenOutOfRange(file: String, index: Int, token: Int32, vocab: Int)

    public var description: String {
        switch self {
        case let .badMagic(file):
            return "\(file): not a llama-perplexity log-probability file (no '_logits_' magic)"
        case let .badHeader(file, field, value):
            return "\(file): header field \(field) = \(value) is out of range"
        case let .truncated(file, what):
            return "\(file): truncated before \(what)"
        case let .sizeMismatch(file, expected, actual):
            return "\(file): \(actual) bytes, but its header describes \(expected)"
        case let .tokenOutOfRange(file, index, token, vocab):
            return "\(file): token \(index) is \(token), outside the vocabulary of \(vocab)"
        }
    }
}
