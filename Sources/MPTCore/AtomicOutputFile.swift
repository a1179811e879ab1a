#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file written under a temporary name in its destination directory and renamed into place
/// only by `commit()` (after `fsync`). If the object goes away uncommitted, the temporary file is
/// removed, so a failed or interrupted write leaves no partial output.
public final class AtomicOutputFile {
    /// Final path.
    public let path: String
    /// Temporary path being written.
    public let temporaryPath: String
    private var descriptor: Int32
    private var committed = false
    /// Bytes written so far.
    public private(set) var bytesWritten: Int = 0
    private var buffer: [UInt8] = []
    private let bufferLimit = 1 << 20

    /// Creates `.<name>.tmp-<pid>-<n>` next to `path`. Refuses to replace an existing file unless
    /// `overwrite` is true.
    public init(path: String, overwrite: Bool = false) throws {
        if !overwrite, access(path, F_OK) == 0 {
            throw CoreError.cannotOpen(path: path, reason: "already exists (use --force to replace it)")
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
        self.path = path
        self.temporaryPath = candidate
        self.descriptor = fd
        TemporaryFileRegistry.shared.register(candidate)
    }

    deinit {
        if descriptor >= 0 { close(descriptor) }
        if !committed {
            unlink(temporaryPath)
        }
        TemporaryFileRegistry.shared.unregister(temporaryPath)
    }

    /// Appends bytes (buffered).
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count > bufferLimit { try flush() }
        if bytes.count >= bufferLimit {
            try writeFully(bytes)
        } else {
            buffer.append(contentsOf: bytes)
        }
        bytesWritten += bytes.count
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

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        let pending = buffer
        buffer.removeAll(keepingCapacity: true)
        try pending.withUnsafeBytes { try writeFully($0) }
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        guard var cursor = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = Glibc.write(descriptor, cursor, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw CoreError.cannotOpen(path: temporaryPath, reason: "write failed: \(String(cString: strerror(errno)))")
            }
            cursor += written
            left -= written
        }
    }

    /// Appends the whole content of the file at `source`, read in 8 MiB pieces (so copying a
    /// large file costs no memory beyond one piece).
    public func append(contentsOfFileAt source: String) throws {
        let input = open(source, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw CoreError.cannotOpen(path: source, reason: String(cString: strerror(errno))) }
        defer { close(input) }
        try flush()
        var piece = [UInt8](repeating: 0, count: 8 << 20)
        while true {
            let count = piece.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw CoreError.cannotOpen(path: source, reason: "read failed: \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            try piece.withUnsafeBytes { try writeFully(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            bytesWritten += count
        }
    }

    /// Flushes and renames the temporary file to `path`. With `durable` (the default) the file and
    /// its directory are fsync'ed first; scratch files that are consumed right away skip that.
    public func commit(durable: Bool = true) throws {
        try flush()
        guard !durable || fsync(descriptor) == 0 else {
            throw CoreError.cannotOpen(path: temporaryPath, reason: "fsync failed: \(String(cString: strerror(errno)))")
        }
        close(descriptor)
        descriptor = -1
        guard rename(temporaryPath, path) == 0 else {
            throw CoreError.cannotOpen(path: path, reason: "rename failed: \(String(cString: strerror(errno)))")
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

/// Temporary output files currently open, so a SIGINT handler can remove them before exiting.
public final class TemporaryFileRegistry: @unchecked Sendable {
    /// The process-wide registry.
    public static let shared = TemporaryFileRegistry()
    private var lock = pthread_mutex_t()
    private var paths = Set<String>()

    private init() { pthread_mutex_init(&lock, nil) }

    func register(_ path: String) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        paths.insert(path)
    }

    func unregister(_ path: String) {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
        paths.remove(path)
    }

    /// Deletes every registered temporary file or directory (the signal cleanup calls this from
    /// its own thread, never from inside the signal handler).
    public func removeAll() {
        pthread_mutex_lock(&lock); defer { pthread_mutex_unlock(&lock) }
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
            throw CoreError.cannotOpen(path: destination, reason: "rename failed: \(String(cString: strerror(errno)))")
        }
    }
}
