/// Row softmax for causal attention (scalar; the exponentials dominate and come from libm).
public enum Softmax {
    /// Softmax of `row[0...last]` in place; entries after `last` (future keys) become 0.
    /// Subtracts the row maximum first, like PyTorch.
    @inlinable
    public static func causalRow<T: BinaryFloatingPoint>(_ row: UnsafeMutablePointer<T>, last: Int, length: Int, exp: (T) -> T) {
        guard last >= 0 else { return }
        var maximum = row[0]
        for t in 0...last where row[t] > maximum { maximum = row[t] }
        var total: T = 0
        for t in 0...last {
            let value = exp(row[t] - maximum)
            row[t] = value
            total += value
        }
        for t in 0...last { row[t] /= total }
        var t = last + 1
        while t < length { row[t] = 0; t += 1 }
    }
}
