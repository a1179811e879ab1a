import Dispatch
import Foundation

/// Splits `0..<count` into contiguous chunks and runs `body` on each, on up to `threads`
/// workers. The only place in MPTKit that starts worker threads.
///
/// - `granularity`: every chunk boundary is a multiple of it (a kernel's tile height, say), so
///   no chunk splits a tile; the last chunk ends at `count`.
/// - `chunksPerWorker`: more chunks than workers balances load when other processes share the
///   cores; 1 gives each worker one contiguous range.
/// With one worker (or one chunk) `body` runs on the calling thread.
public func forEachChunk(
    count: Int, threads: Int, granularity: Int = 1, chunksPerWorker: Int = 1, _ body: @Sendable (Range<Int>) -> Void
) {
    let plan = ChunkPlan(count: count, threads: threads, granularity: granularity, chunksPerWorker: chunksPerWorker)
    guard plan.chunks > 1 else {
        if count > 0 { body(0..<count) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: plan.chunks) { chunk in
        let range = plan.range(chunk)
        if !range.isEmpty { body(range) }
    }
}

/// `forEachChunk` for work that returns a value or throws: splits `0..<count` the same way, runs
/// `body` on each chunk in parallel, and returns the results in chunk order. After every worker
/// has finished, the first error (in chunk order) is rethrown.
public func mapChunks<Value: Sendable>(
    count: Int, threads: Int, granularity: Int = 1, chunksPerWorker: Int = 1,
    _ body: @Sendable (Range<Int>) throws -> Value
) throws -> [Value] {
    let plan = ChunkPlan(count: count, threads: threads, granularity: granularity, chunksPerWorker: chunksPerWorker)
    guard plan.chunks > 1 else { return count > 0 ? [try body(0..<count)] : [] }
    let results = WorkerResults<Value>(count: plan.chunks)
    DispatchQueue.concurrentPerform(iterations: plan.chunks) { chunk in
        let range = plan.range(chunk)
        if !range.isEmpty { results.store(Result { try body(range) }, at: chunk) }
    }
    return try results.values()
}

/// How `0..<count` is cut: `chunks` pieces of `chunkSize` (a multiple of the granularity).
struct ChunkPlan: Sendable {
    let count: Int
    let chunkSize: Int
    let chunks: Int

    init(count: Int, threads: Int, granularity: Int, chunksPerWorker: Int) {
        self.count = max(0, count)
        let unit = max(1, granularity)
        let units = (self.count + unit - 1) / unit
        let workers = max(1, min(threads, units))
        let wanted = workers == 1 ? 1 : min(units, workers * max(1, chunksPerWorker))
        let unitsPerChunk = max(1, (units + wanted - 1) / wanted)
        chunkSize = unitsPerChunk * unit
        chunks = max(1, (self.count + chunkSize - 1) / chunkSize)
    }

    func range(_ chunk: Int) -> Range<Int> {
        let start = min(count, chunk * chunkSize)
        return start..<min(count, start + chunkSize)
    }
}

/// One result slot per chunk of `mapChunks`; each slot is written by exactly one worker and read
/// only after every worker has returned.
final class WorkerResults<Value: Sendable>: @unchecked Sendable {
    private var outcomes: [Result<Value, any Error>?]
    private let lock = NSLock()

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func store(_ outcome: Result<Value, any Error>, at index: Int) {
        lock.lock(); defer { lock.unlock() }
        outcomes[index] = outcome
    }

    func values() throws -> [Value] {
        try outcomes.compactMap { try $0?.get() }
    }
}

/// `forEachChunk` that also hands `body` the chunk's index (`0..<chunkSlots(threads:chunksPerWorker:)`),
/// so a worker can use per-chunk scratch memory allocated once by the caller: no two running
/// chunks share an index.
public func forEachIndexedChunk(
    count: Int, threads: Int, granularity: Int = 1, chunksPerWorker: Int = 1, _ body: @Sendable (Int, Range<Int>) -> Void
) {
    let plan = ChunkPlan(count: count, threads: threads, granularity: granularity, chunksPerWorker: chunksPerWorker)
    guard plan.chunks > 1 else {
        if count > 0 { body(0, 0..<count) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: plan.chunks) { chunk in
        let range = plan.range(chunk)
        if !range.isEmpty { body(chunk, range) }
    }
}

/// The most chunks `forEachIndexedChunk` cuts for `threads` and `chunksPerWorker`, whatever the
/// count: the number of scratch slots its caller needs.
public func chunkSlots(threads: Int, chunksPerWorker: Int = 1) -> Int {
    max(1, threads) == 1 ? 1 : max(1, threads) * max(1, chunksPerWorker)
}
