import Dispatch
import Foundation
import MPTCore

/// Narrows floats to f16 or bf16 on several threads, counting NaN/Inf (and f16 overflows) in
/// the same pass over cache-sized pieces, so each value is read from memory once.
enum ParallelCast {
    /// Values per piece a worker counts and converts while they are in its cache.
    static let pieceElements = 1 << 14

    /// Writes `values` as `target` (`.f16` or `.bf16`, round-to-nearest-even) into `halves`
    /// (same count) and returns the NaN/Inf count and, for f16, the finite values that overflowed.
    static func narrow(_ values: UnsafeBufferPointer<Float>, into halves: UnsafeMutableBufferPointer<UInt16>,
                       to target: DType, threads: Int) -> DTypeCast.CastCounts {
        let count = min(values.count, halves.count)
        let workers = max(1, min(threads, count / pieceElements))
        let job = NarrowingJob(values: values, halves: halves, toF16: target == .f16)
        guard workers > 1 else { return job.run(0..<count) }
        let results = NarrowingResults(count: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            results.store(job.run((count * worker / workers)..<(count * (worker + 1) / workers)), at: worker)
        }
        return results.total()
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

/// Per-worker counts, summed once every worker is done.
private final class NarrowingResults: @unchecked Sendable {
    private var results: [DTypeCast.CastCounts]
    private let lock = NSLock()

    init(count: Int) { results = Array(repeating: DTypeCast.CastCounts(), count: count) }

    func store(_ counts: DTypeCast.CastCounts, at index: Int) {
        lock.lock(); defer { lock.unlock() }
        results[index] = counts
    }

    func total() -> DTypeCast.CastCounts {
        results.reduce(into: DTypeCast.CastCounts()) { $0.nonFinite += $1.nonFinite; $0.overflows += $1.overflows }
    }
}
