/// Errors from the reference forward pass and the parity tools.
public enum ReferenceError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Buffers whose sizes do not fit together.
    case sizeMismatch(String)
    /// A weight tensor came back with the wrong number of elements.
    case weightSize(tensor: String, expected: Int, actual: Int)
    /// A token id outside `0..<vocab`.
    case tokenOutOfRange(position: Int, token: Int, vocabSize: Int)
    /// More tokens than the learned position table (or none at all).
    case badSequenceLength(Int, limit: Int)
    /// A weight the model needs is not in the checkpoint.
    case missingTensor(String)
    /// The configuration cannot be run (e.g. `d_model` not divisible by `n_heads`).
    case unsupportedConfig(String)

    public var description: String {
        switch self {
        case let .sizeMismatch(what): return "size mismatch in \(what)"
        case let .weightSize(tensor, expected, actual):
            return "tensor \(tensor) has \(actual) elements, expected \(expected)"
        case let .tokenOutOfRange(position, token, vocabSize):
            return "token \(token) at position \(position) is outside the vocabulary of \(vocabSize)"
        case let .badSequenceLength(length, limit):
            return "sequence of \(length) tokens is not in 1...\(limit)"
        case let .missingTensor(name): return "tensor \(name) is missing"
        case let .unsupportedConfig(what): return "unsupported model configuration: \(what)"
        }
    }
}
