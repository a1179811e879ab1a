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
        guard count > 0, let source = values.baseAddress, let destination = halves.baseAddress else { return DTypeCast.CastCounts() }
        let job = NarrowingJob(values: SendablePointer(source), halves: SendablePointer(destination), toF16: target == .f16)
        return try mapChunks(count: count, threads: workers) { job.run($0) }.reduce(into: DTypeCast.CastCounts()) { total, counts in
            total.nonFinite += counts.nonFinite
            total.overflows += counts.overflows
        }
    }
}

/// The buffers of one `narrow` call; each worker touches only its own element range.
private struct NarrowingJob: Sendable {
    let values: SendablePointer<Float>
    let halves: SendablePointer<UInt16>
    let toF16: Bool

    func run(_ range: Range<Int>) -> DTypeCast.CastCounts {
        var counts = DTypeCast.CastCounts()
        var start = range.lowerBound
        while start < range.upperBound {
            let end = min(range.upperBound, start + ParallelCast.pieceElements)
            let source = values.readOnlyBuffer(from: start, count: end - start)
            let target = halves.buffer(from: start, count: end - start)
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
