#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Immutable bytes that tensors point into: a read-only shared memory map of a file, or an owned
/// heap buffer (for data that had to be inflated or decoded).
///
/// The memory stays valid for the lifetime of the object and is released on deinit. The bytes are
/// never written after construction, so sharing across threads is safe.
public final class ByteStorage: @unchecked Sendable {
    /// The bytes. Valid while `self` is alive.
    public let bytes: UnsafeRawBufferPointer
    /// Where the bytes came from, for messages (a file path, or a description).
    public let origin: String
    private let release: Release

    private enum Release {
        case unmap
        case deallocate
        case none
    }

    /// Maps the whole file at `path` read-only (`MAP_SHARED`). Empty files give an empty storage.
    public init(mappingFileAt path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw CoreError.cannotOpen(path: path, reason: Self.errnoText()) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw CoreError.cannotOpen(path: path, reason: Self.errnoText()) }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw CoreError.cannotOpen(path: path, reason: "not a regular file")
        }
        guard let size = Int(exactly: info.st_size), size >= 0 else {
            throw CoreError.cannotOpen(path: path, reason: "unreadable size")
        }
        origin = path
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            release = .none
            return
        }
        let address = mmap(nil, size, PROT_READ, MAP_SHARED, fd, 0)
        guard let address, address != MAP_FAILED else {
            throw CoreError.cannotOpen(path: path, reason: "mmap failed: \(Self.errnoText())")
        }
        bytes = UnsafeRawBufferPointer(start: UnsafeRawPointer(address), count: size)
        release = .unmap
    }

    /// Copies `data` into a new heap buffer.
    public init<C: Collection>(copying data: C, origin: String) where C.Element == UInt8 {
        self.origin = origin
        let count = data.count
        if count == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            release = .none
            return
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        _ = buffer.initializeMemory(as: UInt8.self, from: data)
        bytes = UnsafeRawBufferPointer(buffer)
        release = .deallocate
    }

    /// Takes ownership of `count` bytes filled by `fill`, which must initialize all of them.
    public init(count: Int, origin: String, fill: (UnsafeMutableRawBufferPointer) throws -> Void) rethrows {
        self.origin = origin
        if count == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            release = .none
            return
        }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 64)
        do {
            try fill(buffer)
        } catch {
            buffer.deallocate()
            throw error
        }
        bytes = UnsafeRawBufferPointer(buffer)
        release = .deallocate
    }

    deinit {
        switch release {
        case .unmap:
            if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
        case .deallocate:
            bytes.deallocate()
        case .none:
            break
        }
    }

    /// Total size in bytes.
    public var count: Int { bytes.count }

    /// Checks that `offset..<offset+length` lies inside the storage.
    public func checkRange(offset: Int, length: Int, what: @autoclosure () -> String) throws {
        guard offset >= 0, length >= 0 else { throw CoreError.outOfBounds(what: what(), end: offset, limit: count) }
        let end = try Checked.add(offset, length, what())
        guard end <= count else { throw CoreError.outOfBounds(what: what(), end: end, limit: count) }
    }

    /// A copy of a checked byte range.
    public func copyBytes(offset: Int, length: Int) throws -> [UInt8] {
        try checkRange(offset: offset, length: length, what: "byte range")
        guard length > 0, let base = bytes.baseAddress else { return [] }
        return Array(UnsafeRawBufferPointer(start: base + offset, count: length))
    }

    /// Runs `body` over a checked sub-range of the bytes.
    public func withBytes<R>(offset: Int, length: Int, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        try checkRange(offset: offset, length: length, what: "byte range")
        guard length > 0, let base = bytes.baseAddress else { return try body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        return try body(UnsafeRawBufferPointer(start: base + offset, count: length))
    }

    /// Tells the kernel the mapped pages of a byte range are no longer needed, so streaming
    /// through a large file does not keep it all resident. A no-op for heap storage.
    public func dropCachedPages(offset: Int, length: Int) {
        guard case .unmap = release, let base = bytes.baseAddress, length > 0, offset >= 0, offset < count else { return }
        let pageSize = Int(sysconf(Int32(_SC_PAGESIZE)))
        guard pageSize > 0 else { return }
        let end = min(count, offset + min(length, count - offset))
        let alignedStart = (offset + pageSize - 1) / pageSize * pageSize
        let alignedEnd = end == count ? (count + pageSize - 1) / pageSize * pageSize : end / pageSize * pageSize
        guard alignedEnd > alignedStart else { return }
        _ = madvise(UnsafeMutableRawPointer(mutating: base + alignedStart), alignedEnd - alignedStart, Int32(MADV_DONTNEED))
    }

    private static func errnoText() -> String {
        String(cString: strerror(errno))
    }
}
