/// How llama-perplexity cuts a text into scored windows: non-overlapping chunks of `context`
/// tokens (as many whole chunks as the text holds, at most `limit`); in each, the first token
/// is replaced by BOS when the model adds one, and the logits of positions `context/2 …
/// context−2` are scored against the tokens that follow them.
public struct TextChunking: Sendable, Equatable {
    /// Tokens per chunk (`-c`).
    public var context: Int
    /// Chunks scored.
    public var chunks: Int
    /// First scored position of a chunk (`context / 2`).
    public var firstScored: Int { context / 2 }
    /// Positions scored per chunk (`context − 1 − context/2`).
    public var scoredPerChunk: Int { context - 1 - firstScored }

    /// Errors planning a scoring run.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        case contextTooSmall(Int)
        case textTooShort(tokens: Int, needed: Int, context: Int)

        public var description: String {
            switch self {
            case let .contextTooSmall(context):
                return "a context of \(context) tokens scores no position (at least 4 are needed)"
            case let .textTooShort(tokens, needed, context):
                return "the text has \(tokens) tokens; scoring with a context of \(context) needs at least \(needed)"
            }
        }
    }

    /// Plans the chunks for `tokenCount` tokens. Like llama-perplexity, a text shorter than two
    /// contexts is refused; a run that would score zero positions is an error, never a pass.
    public init(tokenCount: Int, context: Int, limit: Int?) throws {
        guard context >= 4 else { throw Failure.contextTooSmall(context) }
        let needed = 2 * context
        guard tokenCount >= needed else { throw Failure.textTooShort(tokens: tokenCount, needed: needed, context: context) }
        self.context = context
        let available = tokenCount / context
        chunks = limit.map { Swift.max(1, Swift.min($0, available)) } ?? available
    }

    /// The tokens the model runs for `chunk` (BOS first when `bos` is given).
    public func window(_ chunk: Int, of tokens: [Int], bos: Int?) -> [Int] {
        var window = Array(tokens[(chunk * context)..<((chunk + 1) * context)])
        if let bos { window[0] = bos }
        return window
    }

    /// The true next token of each scored position of `chunk` (from the original text, not
    /// the BOS-replaced window).
    public func targets(_ chunk: Int, of tokens: [Int]) -> ArraySlice<Int> {
        let start = chunk * context + firstScored + 1
        return tokens[start..<(start + scoredPerChunk)]
    }
}
