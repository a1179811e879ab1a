import Dispatch

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
