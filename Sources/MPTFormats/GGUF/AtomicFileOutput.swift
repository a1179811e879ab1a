#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A buffered, write-only file that becomes visible at its destination only when `commit()`
/// succeeds: bytes go to a temporary file in the destination's directory, which is fsync'ed and
/// renamed over the destination. `abandon()` (or an error) removes the temporary file.
final class AtomicFileOutput {
    let destination: String
    let temporaryPath: String
    private var descriptor: Int32
    private var buffer: [UInt8] = []
    private let bufferCapacity: Int
    /// Bytes accepted so far (buffered or written).
    private(set) var position = 0

    init(destination: String, bufferCapacity: Int = 4 << 20) throws {
        self.destination = destination
        self.bufferCapacity = bufferCapacity
        let directory = Self.directory(of: destination)
        let base = destination.split(separator: "/").last.map(String.init) ?? destination
        temporaryPath = "\(directory)/.\(base).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw GGUFError.writeFailed(path: temporaryPath, reason: Self.errnoText()) }
        buffer.reserveCapacity(bufferCapacity)
    }

    deinit {
        if descriptor >= 0 {
            close(descriptor)
            unlink(temporaryPath)
        }
    }

    /// Appends bytes (large writes bypass the buffer).
    func write(_ bytes: UnsafeRawBufferPointer) throws {
        if buffer.count + bytes.count <= bufferCapacity {
            buffer.append(contentsOf: bytes)
        } else {
            try flush()
            if bytes.count >= bufferCapacity {
                try writeFully(bytes)
            } else {
                buffer.append(contentsOf: bytes)
            }
        }
        position += bytes.count
    }

    /// Appends bytes from an array.
    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    /// Appends `count` zero bytes.
    func writeZeros(_ count: Int) throws {
        guard count > 0 else { return }
        try write([UInt8](repeating: 0, count: count))
    }

    /// Flushes, fsyncs and renames the temporary file over the destination, then fsyncs the directory.
    func commit() throws {
        try flush()
        guard fsync(descriptor) == 0 else { throw GGUFError.writeFailed(path: temporaryPath, reason: "fsync: \(Self.errnoText())") }
        let closed = close(descriptor)
        descriptor = -1
        guard closed == 0 else {
            unlink(temporaryPath)
            throw GGUFError.writeFailed(path: temporaryPath, reason: "close: \(Self.errnoText())")
        }
        guard rename(temporaryPath, destination) == 0 else {
            let reason = Self.errnoText()
            unlink(temporaryPath)
            throw GGUFError.writeFailed(path: destination, reason: "rename: \(reason)")
        }
        let directoryDescriptor = open(Self.directory(of: destination), O_RDONLY | O_CLOEXEC)
        if directoryDescriptor >= 0 {
            _ = fsync(directoryDescriptor)
            close(directoryDescriptor)
        }
    }

    /// Closes and deletes the temporary file.
    func abandon() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
        unlink(temporaryPath)
    }

    private func flush() throws {
        guard !buffer.isEmpty else { return }
        try buffer.withUnsafeBytes { try writeFully($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeFully(_ bytes: UnsafeRawBufferPointer) throws {
        guard var next = bytes.baseAddress else { return }
        var left = bytes.count
        while left > 0 {
            let written = systemWrite(descriptor, next, left)
            if written < 0 {
                if errno == EINTR { continue }
                throw GGUFError.writeFailed(path: temporaryPath, reason: Self.errnoText())
            }
            next += written
            left -= written
        }
    }

    private func systemWrite(_ fd: Int32, _ pointer: UnsafeRawPointer, _ count: Int) -> Int {
        #if canImport(Glibc)
        return Glibc.write(fd, pointer, count)
        #else
        return Darwin.write(fd, pointer, count)
        #endif
    }

    private static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let directory = String(path[..<slash])
        return directory.isEmpty ? "/" : directory
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
