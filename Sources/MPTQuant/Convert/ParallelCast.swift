import MPTCore

/// Narrows floats to f16 or bf16 on several threads, counting NaN/Inf (and f16 overflows) in
/// the same pass over cache-sized pieces, so each value is read from memory once.
enum ParallelCast {
    /// Values per piece a worker counts and converts while they are in its cache.
    static let pieceElements = 1 << 14

    /// Writes `values` as `target` (`.f16` or `.bf16`, round-to-nearest-even) into `halves`
    /// (same count) and returns the NaN/Inf count and, for f16, the finite values that overflowed.
    /// Narrowing cannot fail; `throws` comes from the shared `mapChunks` split.
    static func narrow(_ values: UnsafeBufferPointer<Float>, into halves: UnsafeMutableBufferPointer<UInt16>,
                       to target: DType, threads: Int) throws -> DTypeCast.CastCounts {
        let count = min(values.count, halves.count)
        // A worker per piece at most: splitting less than a piece costs more than it saves.
        let workers = max(1, min(threads, count / pieceElements))
        let job = NarrowingJob(values: values, halves: halves, toF16: target == .f16)
        return try mapChunks(count: count, threads: workers) { job.run($0) }.reduce(into: DTypeCast.CastCounts()) { total, counts in
            total.nonFinite += counts.nonFinite
            total.overflows += counts.overflows
        }
    }
}

/// The buffers of one `narrow` call; each worker touches only its own element range.
private struct NarrowingJob: @unchecked Sendable {
    let values: UnsafeBufferPointer<Float>
    let halves: UnsafeMutableBufferPointer<UInt16>
    let toF16: Bool

    func run(_ range: Range<Int>) -> DTypeCast.CastCounts {
        var counts = DTypeCast.CastCounts()
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(range.upperBound, start + ParallelCast.pieceElements)
            let source = UnsafeBufferPointer(rebasing: values[start..<end])
            let target = UnsafeMutableBufferPointer(rebasing: halves[start..<end])
            counts.nonFinite += DTypeCast.countNonFinite(source)
            if toF16 {
                counts.overflows += HalfConversion.convertFloatToF16(source, into: target)
            } else {
                HalfConversion.convertFloatToBF16(source, into: target)
            }
            start = end
        }
        return counts
    }
}
