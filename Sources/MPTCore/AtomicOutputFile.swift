#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name in its destination directory and renamed into place
/// only by `commit()` (after `fsync` when durable). If the object goes away uncommitted, the
/// temporary file is removed, so a failed or interrupted write leaves no partial output.
///
/// Writes are buffered and handed to a background thread (`BackgroundFileWriter`), so producing
/// the next bytes overlaps the copy into the page cache; a durable file also starts the disk
/// writing each buffer at once, so the `fsync` in `commit()` overlaps the work too.
public final class AtomicOutputFile {
    /// Final path.
    public let path: String
    /// Temporary path being written.
    public let temporaryPath: String
    /// Whether `commit()` fsyncs the file and its directory.
    public let durable: Bool
    private var descriptor: Int32
    private var committed = false
    /// Bytes written so far.
    public private(set) var bytesWritten: Int = 0
    /// The buffer being filled (`bufferLimit` bytes once first used) and how much of it is.
    private var buffer: [UInt8] = []
    private var filled = 0
    /// Size of each buffer handed to the writer thread.
    public let bufferLimit = 8 << 20
    private let writer: BackgroundFileWriter

    /// Creates `.<name>.tmp-<pid>-<n>` next to `path`. Refuses to replace an existing file unless
    /// `overwrite` is true. `durable: false` skips the fsyncs (scratch files, `--no-sync`).
    public init(path: String, overwrite: Bool = false, durable: Bool = true) throws {
        if !overwrite, access(path, F_OK) == 0 {
            throw CoreError.alreadyExists(path: path)
        }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) } ?? "."
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        var attempt = 0
        var fd: Int32 = -1
        var candidate = ""
        repeat {
            candidate = (directory.isEmpty ? "" : directory + "/") + ".\(base).tmp-\(getpid())-\(attempt)"
            fd = open(candidate, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
            attempt += 1
        } while fd < 0 && errno == EEXIST && attempt < 1000
        guard fd >= 0 else { throw CoreError.cannotOpen(path: path, reason: String(cString: strerror(errno))) }
        TemporaryFileRegistry.shared.register(candidate)
        do {
            writer = try BackgroundFileWriter(descriptor: fd, path: candidate, startWriteback: durable)
        } catch {
            close(fd)
            unlink(candidate)
            TemporaryFileRegistry.shared.unregister(candidate)
            throw error
        }
        self.path = path
        self.temporaryPath = candidate
        self.durable = durable
        self.descriptor = fd
    }

    deinit {
        writer.stop()
        if descriptor >= 0 { close(descriptor) }
        if !committed {
            unlink(temporaryPath)
        }
        TemporaryFileRegistry.shared.unregister(temporaryPath)
    }

    /// Appends bytes (buffered; written by the background thread).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        var remaining = bytes
        while !remaining.isEmpty {
            let take = min(remaining.count, bufferLimit - filled)
            try append(byteCount: take) { $0.copyMemory(from: UnsafeRawBufferPointer(rebasing: remaining[..<take])) }
            remaining = UnsafeRawBufferPointer(rebasing: remaining[take...])
        }
    }

    /// Appends `byteCount` bytes (at most `bufferLimit`) that `fill` writes straight into the
    /// output buffer: producers that convert values (casts) skip a staging copy. `fill` must
    /// write all of the buffer it is given.
    public func append(byteCount: Int, _ fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        guard byteCount > 0 else { return }
        guard byteCount <= bufferLimit else {
            throw CoreError.writeFailed(path: temporaryPath, reason: "a piece of \(byteCount) bytes exceeds the \(bufferLimit)-byte buffer")
        }
        if filled + byteCount > bufferLimit { try flush() }
        if buffer.isEmpty { buffer = writer.takeSpareBuffer() ?? [UInt8](repeating: 0, count: bufferLimit) }
        try buffer.withUnsafeMutableBytes { raw in
            try fill(UnsafeMutableRawBufferPointer(rebasing: raw[filled..<(filled + byteCount)]))
        }
        filled += byteCount
        bytesWritten += byteCount
        if filled == bufferLimit { try flush() }
    }

    /// Appends an array of bytes.
    public func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends the UTF-8 bytes of `text`.
    public func write(_ text: String) throws {
        try write(Array(text.utf8))
    }

    /// Appends `count` zero bytes.
    public func writeZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try write([UInt8](repeating: 0, count: count))
    }

    /// Hands the filled buffer to the writer thread; the next write takes a spare one.
    private func flush() throws {
        guard filled > 0 else { return }
        let full = buffer
        let count = filled
        buffer = []
        filled = 0
        try writer.enqueue(full, count: count)
    }

    /// Appends the content of the file at `source` after its first `skipping` bytes, read in
    /// 8 MiB pieces (so copying a large file costs no memory beyond a few pieces).
    public func append(contentsOfFileAt source: String, skipping: Int = 0) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw CoreError.cannotOpen(path: source, reason: String(cString: strerror(errno))) }
        defer { close(input) }
        guard skipping == 0 || lseek(input, off_t(skipping), SEEK_SET) == off_t(skipping) else {
            throw CoreError.cannotOpen(path: source, reason: "cannot seek to byte \(skipping)")
        }
        var piece = [UInt8](repeating: 0, count: 8 << 20)
        while true {
            let count = piece.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CoreError.cannotOpen(path: source, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            try piece.withUnsafeBytes { try write(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Replaces bytes already written at `offset` (for a header whose content is known only at
    /// the end). The range must lie within what was written.
    public func overwrite(at offset: Int, with bytes: [UInt8]) throws {
        let (end, overflow) = offset.addingReportingOverflow(bytes.count)
        guard offset >= 0, !overflow, end <= bytesWritten else {
            throw CoreError.writeFailed(path: temporaryPath, reason: "overwrite of bytes \(offset)..<\(offset + bytes.count) past the \(bytesWritten) written")
        }
        try flush()
        try writer.drain()
        var done = 0
        while done < bytes.count {
            let written = bytes.withUnsafeBytes { raw in
                pwrite(descriptor, raw.baseAddress.map { $0 + done }, bytes.count - done, off_t(offset + done))
            }
            if written < 0 {
                if errno == EINTR { continue }
                throw CoreError.writeFailed(path: temporaryPath, reason: String(cString: strerror(errno)))
            }
            done += written
        }
    }

    /// Writes out everything buffered and renames the temporary file to `path`. A durable file
    /// and its directory are fsync'ed first.
    public func commit() throws {
        try flush()
        try writer.drain()
        guard !durable || fsync(descriptor) == 0 else {
            throw CoreError.syncFailed(path: temporaryPath, reason: String(cString: strerror(errno)))
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            throw CoreError.renameFailed(from: temporaryPath, to: path, reason: String(cString: strerror(errno)))
        }
        committed = true
        guard durable else { return }
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[..<$0]) }.map { $0.isEmpty ? "/" : $0 } ?? "."
        let directoryDescriptor = open(directory, O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }
}

/// Temporary output files currently open, so a SIGINT handler can remove them before exiting,
/// and old outputs moved aside while a `--force` commit swaps a new one in, so the handler can
/// put an old output back if the new one is not in place yet: an interrupt never leaves neither.
public final class TemporaryFileRegistry: @unchecked Sendable {
    /// The process-wide registry.
    public static let shared = TemporaryFileRegistry()
    /// Recursive, so a commit can hold it (`holdingCleanup`) while it registers paths.
    private var lock = pthread_mutex_t()
    private var paths = Set<String>()
    /// Displaced old output → the path it is restored to.
    private var displaced: [String: String] = [:]

    private init() {
        var attributes = pthread_mutexattr_t()
        pthread_mutexattr_init(&attributes)
        pthread_mutexattr_settype(&attributes, Int32(PTHREAD_MUTEX_RECURSIVE))
        pthread_mutex_init(&lock, &attributes)
        pthread_mutexattr_destroy(&attributes)
    }

    func register(_ path: String) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        paths.insert(path)
    }

    func unregister(_ path: String) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        paths.remove(path)
    }

    /// Records that the old output at `original` now lies at `aside`: the cleanup moves it back
    /// unless something is at `original` again (the new output), and deletes it otherwise.
    func registerDisplaced(_ aside: String, restoringTo original: String) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        displaced[aside] = original
    }

    func unregisterDisplaced(_ aside: String) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        displaced[aside] = nil
    }

    /// Runs `body` with the cleanup held off: a signal arriving meanwhile is acted on only after
    /// `body` returns, so the renames of a commit are never interleaved with the cleanup.
    func holdingCleanup<R>(_ body: () throws -> R) rethrows -> R {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        return try body()
    }

    /// Puts back every displaced old output whose place is empty (deleting the others), then
    /// deletes every registered temporary file or directory (the signal cleanup calls this from
    /// its own thread, never from inside the signal handler).
    public func removeAll() {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        for (aside, original) in displaced {
            if access(original, F_OK) != 0, rename(aside, original) == 0 { continue }
            removeTree(aside)
        }
        displaced.removeAll()
        for path in paths { removeTree(path) }
        paths.removeAll()
    }

    /// Removes a file, or a directory and the plain files directly inside it.
    private func removeTree(_ path: String) {
        if unlink(path) == 0 { return }
        if let directory = opendir(path) {
            while let entry = readdir(directory) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(directory)
        }
        rmdir(path)
    }

    /// Write end of the pipe the signal handler reports on (-1 until installed).
    nonisolated(unsafe) private static var signalPipe: Int32 = -1

    /// Installs SIGINT/SIGTERM handlers that remove temporary outputs and exit with status
    /// 128 + signal (130 for SIGINT). The handler only writes the signal number to a pipe (an
    /// async-signal-safe call): a watcher thread does the cleanup, since deleting files needs
    /// `malloc` and `opendir`, which may deadlock inside a handler that interrupted `malloc`.
    public static func installSignalCleanup() {
        guard signalPipe < 0 else { return }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        _ = fcntl(ends[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(ends[1], F_SETFD, FD_CLOEXEC)
        signalPipe = ends[1]
        let readEnd = UnsafeMutablePointer<Int32>.allocate(capacity: 1)
        readEnd.initialize(to: ends[0])
        var watcher = pthread_t()
        let started = pthread_create(&watcher, nil, { argument in
            guard let readEnd = argument?.assumingMemoryBound(to: Int32.self).pointee else { return nil }
            var signal: UInt8 = 0
            while read(readEnd, &signal, 1) != 1 {
                if errno != EINTR { return nil }
            }
            TemporaryFileRegistry.shared.removeAll()
            _exit(128 + Int32(signal))
        }, readEnd)
        guard started == 0 else { return }
        pthread_detach(watcher)
        let handler: @convention(c) (Int32) -> Void = { signal in
            var number = UInt8(truncatingIfNeeded: signal)
            _ = write(TemporaryFileRegistry.signalPipe, &number, 1)
        }
        signal(SIGINT, handler)
        signal(SIGTERM, handler)
    }
}

/// Plain file-system operations on paths.
public enum FileOperations {
    /// Deletes a file, ignoring a missing one.
    public static func remove(_ path: String) { unlink(path) }

    /// Renames a file within one file system, replacing `destination`.
    public static func rename(_ source: String, to destination: String) throws {
        guard Glibc.rename(source, destination) == 0 else {
            throw CoreError.renameFailed(from: source, to: destination, reason: String(cString: strerror(errno)))
        }
    }
}
