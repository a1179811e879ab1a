import MPTCore

/// A float array read from (or to be written as) a NumPy `.npy` file: C order, little-endian
/// `<f4` or `<f8`, values widened to `Double` (exactly).
public struct NpyArray: Sendable, Equatable {
    /// Element type on disk.
    public enum ElementType: String, Sendable, Equatable {
        /// `<f4`.
        case float32 = "<f4"
        /// `<f8`.
        case float64 = "<f8"

        /// Bytes per element.
        public var byteSize: Int { self == .float32 ? 4 : 8 }
    }

    /// Dimensions, outermost first.
    public var shape: [Int]
    /// Elements in C order.
    public var values: [Double]
    /// The on-disk element type.
    public var elementType: ElementType

    public init(shape: [Int], values: [Double], elementType: ElementType) {
        self.shape = shape
        self.values = values
        self.elementType = elementType
    }
}

/// Problems with a `.npy` file; each names what was wrong and where (reading a file wraps them in
/// a `FileError` naming it).
public enum NpyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first 6 bytes are not `\x93NUMPY`.
    case badMagic
    /// The file ends inside `what`, which starts at byte `offset`.
    case truncated(what: String, offset: Int)
    /// A format version other than 1.0, 2.0, 3.0.
    case unsupportedVersion(major: UInt8, minor: UInt8)
    /// The header dictionary could not be parsed.
    case badHeader(String)
    /// A dtype other than `<f4` / `<f8` (or a big-endian / other type).
    case unsupportedDType(String)
    /// Fortran order is not supported.
    case fortranOrder
    /// The data after the header does not match the shape.
    case dataSize(expected: Int, actual: Int)
    /// Values and shape given to the writer disagree.
    case shapeMismatch(shape: [Int], count: Int)

    public var description: String {
        switch self {
        case .badMagic: return "not a NumPy .npy file (bad magic at byte 0)"
        case let .truncated(what, offset): return ".npy file ends inside its \(what) at byte \(offset)"
        case let .unsupportedVersion(major, minor): return "unsupported .npy format version \(major).\(minor) at byte 6"
        case let .badHeader(why): return "malformed .npy header: \(why)"
        case let .unsupportedDType(descr): return "unsupported .npy dtype '\(descr)' (only '<f4' and '<f8')"
        case .fortranOrder: return "Fortran-ordered .npy arrays are not supported"
        case let .dataSize(expected, actual):
            return ".npy data holds \(actual) bytes after the header, the shape needs \(expected)"
        case let .shapeMismatch(shape, count): return "shape \(shape) does not hold \(count) values"
        }
    }
}
