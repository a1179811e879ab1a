#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes filled buffers to a file descriptor on a thread of its own, so the thread producing
/// the bytes (converting or quantizing the next tensor) never waits for `write(2)` copying into
/// the page cache. At most `depth` buffers wait in the queue; a producer that gets ahead blocks
/// in `enqueue`. With `startWriteback`, every written range is handed to the disk at once
/// (`sync_file_range(SYNC_FILE_RANGE_WRITE)` on Linux), so the final `fsync` finds little left.
///
/// The first write error is kept and thrown by the next `enqueue` or by `drain`; buffers after
/// it are dropped. Written buffers are kept for reuse (`takeSpareBuffer`), so a long stream
/// recycles the same few allocations.
final class BackgroundFileWriter: @unchecked Sendable {
    private let descriptor: Int32
    private let path: String
    private let depth: Int
    private let startWriteback: Bool
    private var mutex = pthread_mutex_t()
    private var changed = pthread_cond_t()
    private var queue: [(buffer: [UInt8], count: Int)] = []
    private var spare: [[UInt8]] = []
    private var writing = false
    private var stopping = false
    private var failure: CoreError?
    private var thread: pthread_t?
    private var offset: Int64 = 0

    /// Starts the writer thread for `descriptor` (positioned where writing starts, `offset`).
    init(descriptor: Int32, path: String, offset: Int64 = 0, depth: Int = 3, startWriteback: Bool) throws {
        self.descriptor = descriptor
        self.path = path
        self.offset = offset
        self.depth = max(1, depth)
        self.startWriteback = startWriteback
        pthread_mutex_init(&mutex, nil)
        pthread_cond_init(&changed, nil)
        var created = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let status = pthread_create(&created, nil, { context in
            guard let context else { return nil }
            let writer = Unmanaged<BackgroundFileWriter>.fromOpaque(context).takeRetainedValue()
            writer.run()
            return nil
        }, context)
        guard status == 0 else {
            Unmanaged<BackgroundFileWriter>.fromOpaque(context).release()
            throw CoreError.cannotOpen(path: path, reason: "cannot start the writer thread: \(String(cString: strerror(status)))")
        }
        thread = created
    }

    /// Queues the first `count` bytes of `buffer` for writing; blocks while `depth` buffers are
    /// already waiting.
    func enqueue(_ buffer: [UInt8], count: Int) throws {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.count >= depth && failure == nil { pthread_cond_wait(&changed, &mutex) }
        if let failure { throw failure }
        queue.append((buffer, min(max(0, count), buffer.count)))
        pthread_cond_broadcast(&changed)
    }

    /// A written buffer to fill again, or nil when none is free yet.
    func takeSpareBuffer() -> [UInt8]? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return spare.popLast()
    }

    /// Waits until every queued buffer is written; throws the first write error.
    func drain() throws {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while (!queue.isEmpty || writing) && failure == nil { pthread_cond_wait(&changed, &mutex) }
        if let failure { throw failure }
    }

    /// Stops the thread after the queue is written (or dropped after an error) and joins it.
    func stop() {
        pthread_mutex_lock(&mutex)
        stopping = true
        pthread_cond_broadcast(&changed)
        pthread_mutex_unlock(&mutex)
        if let thread { pthread_join(thread, nil) }
        thread = nil
    }

    deinit {
        pthread_cond_destroy(&changed)
        pthread_mutex_destroy(&mutex)
    }

    private func run() {
        while let (buffer, count) = next() {
            let outcome = buffer.withUnsafeBytes { writeFully(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            pthread_mutex_lock(&mutex)
            writing = false
            if let outcome, failure == nil { failure = outcome }
            if failure != nil { queue.removeAll() }
            if spare.count < depth + 1 { spare.append(buffer) }
            pthread_cond_broadcast(&changed)
            pthread_mutex_unlock(&mutex)
        }
    }

    /// The next buffer to write, or nil once stopping with an empty queue.
    private func next() -> (buffer: [UInt8], count: Int)? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        while queue.isEmpty && !stopping { pthread_cond_wait(&changed, &mutex) }
        guard !queue.isEmpty else { return nil }
        writing = true
        return queue.removeFirst()
    }

    /// Writes all of `bytes` at the current offset; returns the error instead of throwing.
    private func writeFully(_ bytes: UnsafeRawBufferPointer) -> CoreError? {
        guard var cursor = bytes.baseAddress else { return nil }
        let start = offset
        var left = bytes.count
        while left > 0 {
            let written = Glibc.write(descriptor, cursor, left)
            if written < 0 {
                if errno == EINTR { continue }
                return CoreError.writeFailed(path: path, reason: String(cString: strerror(errno)))
            }
            cursor += written
            left -= written
            offset += Int64(written)
        }
        if startWriteback { Writeback.start(descriptor: descriptor, offset: start, length: offset - start) }
        return nil
    }
}

/// Early writeback of a file range (Linux `sync_file_range`, looked up at run time because the
/// Glibc module does not export it); a no-op where unavailable.
enum Writeback {
    private typealias SyncFileRange = @convention(c) (Int32, Int64, Int64, UInt32) -> Int32

    /// `SYNC_FILE_RANGE_WRITE`: start writing the dirty pages of the range, do not wait.
    private static let startWriting: UInt32 = 2

    private static let syncFileRange: SyncFileRange? = {
        #if os(Linux)
        guard let symbol = dlsym(nil, "sync_file_range") else { return nil }
        return unsafeBitCast(symbol, to: SyncFileRange.self)
        #else
        return nil
        #endif
    }()

    static func start(descriptor: Int32, offset: Int64, length: Int64) {
        _ = syncFileRange?(descriptor, offset, length, startWriting)
    }
}
