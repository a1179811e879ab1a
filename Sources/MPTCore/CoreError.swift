/// Errors raised by the core layer: byte reads, shape arithmetic, mapping files, conversions.
public enum CoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A read of `needed` bytes at `offset` found only `available`.
    case truncated(offset: Int, needed: Int, available: Int)
    /// A dimension was negative or did not fit in `Int`.
    case invalidDimension(Int64)
    /// The element or byte count of a shape overflowed.
    case shapeOverflow([Int64])
    /// Arithmetic on a value read from a file overflowed.
    case arithmeticOverflow(String)
    /// A file could not be opened, stat'ed or mapped.
    case cannotOpen(path: String, reason: String)
    /// An output already exists and replacing it was not asked for.
    case alreadyExists(path: String)
    /// Writing (or reading back for a copy) an output file failed; `reason` is the errno text.
    case writeFailed(path: String, reason: String)
    /// `fsync` of a finished output file failed; `reason` is the errno text.
    case syncFailed(path: String, reason: String)
    /// Renaming a finished output into place failed; `reason` is the errno text.
    case renameFailed(from: String, to: String, reason: String)
    /// A tensor's bytes lie outside its storage.
    case outOfBounds(what: String, end: Int, limit: Int)
    /// A strided view is not supported for this operation.
    case unsupported(String)

    public var description: String {
        switch self {
        case let .truncated(offset, needed, available):
            return "unexpected end of data at byte \(offset): needed \(needed) bytes, \(available) left"
        case let .invalidDimension(value):
            return "invalid dimension \(value)"
        case let .shapeOverflow(dims):
            return "shape \(dims) is too large (element or byte count overflows)"
        case let .arithmeticOverflow(what):
            return "arithmetic overflow computing \(what)"
        case let .cannotOpen(path, reason):
            return "cannot open \(path): \(reason)"
        case let .alreadyExists(path):
            return "\(path) already exists"
        case let .writeFailed(path, reason):
            return "cannot write \(path): \(reason)"
        case let .syncFailed(path, reason):
            return "cannot fsync \(path): \(reason)"
        case let .renameFailed(from, to, reason):
            return "cannot rename \(from) to \(to): \(reason)"
        case let .outOfBounds(what, end, limit):
            return "\(what) ends at byte \(end), past the end of its storage (\(limit) bytes)"
        case let .unsupported(what):
            return "unsupported: \(what)"
        }
    }
}

/// An error tied to the file it came from; prints as `path: problem` on one line.
public struct FileError: Error, Sendable, CustomStringConvertible {
    /// The file (or directory) being read or written.
    public let path: String
    /// What went wrong.
    public let underlying: any Error & Sendable

    public init(path: String, underlying: any Error & Sendable) {
        self.path = path
        self.underlying = underlying
    }

    public var description: String {
        let text = String(String(describing: underlying).map { $0 == "\n" ? " " : $0 })
        return "\(path): \(text)"
    }
}

/// Runs `body`, attaching `path` to any error that is not already tied to a file.
public func attributing<T>(to path: String, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as FileError {
        throw error
    } catch {
        throw FileError(path: path, underlying: error)
    }
}
