import ArgumentParser
import MPTGraph

/// `--max-seq-len N`: run an ALiBi model on sequences longer than its `config.max_seq_len` (as
/// the MPT-30B card does by raising `config.max_seq_len`). ALiBi biases extend to any length;
/// learned position embeddings do not, so a model with them is refused.
public struct SequenceLengthOption: ParsableArguments, Sendable {
    @Option(name: .customLong("max-seq-len"), help: "Longest sequence an ALiBi model may run (default: its config's max_seq_len).")
    public var maxSeqLen: Int?

    public init() {}

    public func validate() throws {
        if let maxSeqLen, maxSeqLen < 1 { throw ValidationError("--max-seq-len must be 1 or more") }
    }

    /// `model` with `max_seq_len` raised (or lowered) to `--max-seq-len`, unchanged without it.
    /// Throws `SequenceLengthError.learnedPositions` (naming `path`) for a model with learned
    /// positions.
    public func apply(to model: MPTModel, path: String) throws -> MPTModel {
        guard let maxSeqLen else { return model }
        guard !model.config.learnedPositionEmbedding else {
            throw SequenceLengthError.learnedPositions(path: path, maxSeqLen: model.config.maxSeqLen)
        }
        var longer = model
        longer.config.maxSeqLen = maxSeqLen
        return longer
    }
}

/// A `--max-seq-len` the model cannot honour.
public enum SequenceLengthError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The model's positions are a learned table of `maxSeqLen` rows.
    case learnedPositions(path: String, maxSeqLen: Int)

    public var description: String {
        switch self {
        case let .learnedPositions(path, maxSeqLen):
            return "\(path): --max-seq-len needs an ALiBi model; this one has learned positions for \(maxSeqLen) tokens"
        }
    }
}
