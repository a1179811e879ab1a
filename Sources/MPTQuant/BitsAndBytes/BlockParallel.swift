import Dispatch
import Foundation

/// A raw pointer handed to worker threads that write disjoint ranges of it.
struct SendablePointer<Pointee>: @unchecked Sendable {
    let base: UnsafeMutablePointer<Pointee>
}

/// A read-only raw pointer shared by worker threads.
struct SendableConstPointer<Pointee>: @unchecked Sendable {
    let base: UnsafePointer<Pointee>
}

/// Splits `0..<count` into at most `threads` contiguous ranges and runs `body` on each, in parallel.
func forEachChunk(count: Int, threads: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let workers = max(1, min(threads, count))
    if workers <= 1 {
        if count > 0 { body(0..<count) }
        return
    }
    let chunk = (count + workers - 1) / workers
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = worker * chunk
        let end = min(count, start + chunk)
        if start < end { body(start..<end) }
    }
}

/// `forEachChunk` for work that returns a value or throws: splits `0..<count` the same way, runs
/// `body` on each range in parallel, and returns the results in range order. After every worker
/// has finished, the first error (in range order) is rethrown.
func mapChunks<Value: Sendable>(count: Int, threads: Int, _ body: @Sendable (Range<Int>) throws -> Value) throws -> [Value] {
    let workers = max(1, min(threads, count))
    guard workers > 1 else { return count > 0 ? [try body(0..<count)] : [] }
    let chunk = (count + workers - 1) / workers
    let slots = ChunkOutcomes<Value>(count: workers)
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        let start = worker * chunk
        let end = min(count, start + chunk)
        if start < end { slots.store(Result { try body(start..<end) }, at: worker) }
    }
    return try slots.values()
}

/// One outcome slot per worker of `mapChunks`; each slot is written by exactly one worker, and
/// read only after `concurrentPerform` has returned.
private final class ChunkOutcomes<Value: Sendable>: @unchecked Sendable {
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
