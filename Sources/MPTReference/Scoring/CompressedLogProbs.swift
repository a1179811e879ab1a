#if canImport(Glibc)
import Glibc
#endif

/// One position's log-probabilities in llama-perplexity's `--kl-divergence-base` layout: two
/// `Float`s (scale, smallest log-prob) in the first four `UInt16` slots, then one `UInt16` per
/// vocabulary entry, `log p ≈ scale · code + minLogProb`. Logits more than 16 below the largest
/// are clamped to the floor (code 0). `slots(vocab:)` is the row length the file uses (the
/// vocabulary rounded up to even, plus 4).
public enum CompressedLogProbs {
    /// `UInt16` slots per position for a vocabulary: `2·⌈vocab/2⌉ + 4`.
    public static func slots(vocab: Int) -> Int { 2 * ((vocab + 1) / 2) + 4 }

    /// Compresses one row of logits into `row` (`slots(vocab:)` long) exactly as llama-perplexity
    /// does (float arithmetic, `expf`, a `Double` exp-sum); returns the negative log-likelihood of
    /// `token`.
    @discardableResult
    public static func compress(_ logits: UnsafeBufferPointer<Float>, token: Int, into row: UnsafeMutableBufferPointer<UInt16>) -> Double {
        let vocab = logits.count
        var maxLogit = logits[0], minLogit = logits[0]
        for i in 1..<vocab {
            maxLogit = Swift.max(maxLogit, logits[i])
            minLogit = Swift.min(minLogit, logits[i])
        }
        minLogit = Swift.max(minLogit, maxLogit - 16)
        var sumExp = 0.0
        for i in 0..<vocab { sumExp += Double(expf(logits[i] - maxLogit)) }
        let logSumExp = Float(log(sumExp))
        let minLogProb = minLogit - maxLogit - logSumExp
        let scale = (maxLogit - minLogit) / 65535
        row[0] = UInt16(truncatingIfNeeded: scale.bitPattern)
        row[1] = UInt16(truncatingIfNeeded: scale.bitPattern >> 16)
        row[2] = UInt16(truncatingIfNeeded: minLogProb.bitPattern)
        row[3] = UInt16(truncatingIfNeeded: minLogProb.bitPattern >> 16)
        if scale != 0 {
            let inverse = 1 / scale
            for i in 0..<vocab {
                row[4 + i] = logits[i] > minLogit ? UInt16(truncatingIfNeeded: nearestInt(inverse * (logits[i] - minLogit))) : 0
            }
        } else {
            for i in 0..<vocab { row[4 + i] = 0 }
        }
        return Double(maxLogit + logSumExp - logits[token])
    }

    /// The scale stored in a row.
    @inline(__always)
    static func scale(_ row: UnsafeBufferPointer<UInt16>) -> Float {
        Float(bitPattern: UInt32(row[0]) | UInt32(row[1]) << 16)
    }

    /// The smallest log-probability stored in a row.
    @inline(__always)
    static func minLogProb(_ row: UnsafeBufferPointer<UInt16>) -> Float {
        Float(bitPattern: UInt32(row[2]) | UInt32(row[3]) << 16)
    }

    /// ggml's `nearest_int`: round half to even through the float magic number.
    @inline(__always)
    public static func nearestInt(_ value: Float) -> Int32 {
        let shifted = value + 12_582_912
        return Int32(bitPattern: shifted.bitPattern & 0x007F_FFFF) - 0x0040_0000
    }
}
