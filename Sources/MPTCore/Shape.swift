/// A tensor shape whose element count is known not to overflow `Int`.
///
/// Build it from untrusted numbers with `init(checking:)`; dimensions are outermost-first
/// (row-major, as PyTorch and safetensors store them).
public struct Shape: Sendable, Hashable, CustomStringConvertible {
    /// Dimensions, outermost first.
    public let dims: [Int]
    /// Product of `dims` (1 for a scalar).
    public let elementCount: Int

    /// Validates dimensions (non-negative, product fits in `Int`).
    public init(checking dims: [Int64]) throws {
        var converted: [Int] = []
        converted.reserveCapacity(min(dims.count, 64))
        var count = 1
        for dim in dims {
            guard dim >= 0, let value = Int(exactly: dim) else { throw CoreError.invalidDimension(dim) }
            let (product, overflow) = count.multipliedReportingOverflow(by: value)
            if overflow { throw CoreError.shapeOverflow(dims) }
            count = product
            converted.append(value)
        }
        self.dims = converted
        self.elementCount = count
    }

    /// Validates dimensions given as `Int`.
    public init(checking dims: [Int]) throws {
        try self.init(checking: dims.map { Int64($0) })
    }

    /// For shapes built by our own code from known-small values; throws like `init(checking:)`.
    public init(_ dims: Int...) throws {
        try self.init(checking: dims)
    }

    /// Number of dimensions.
    public var rank: Int { dims.count }

    /// Bytes needed to store this shape densely in `dtype`, overflow-checked.
    public func byteCount(of dtype: DType) throws -> Int {
        let (bytes, overflow) = elementCount.multipliedReportingOverflow(by: dtype.byteSize)
        if overflow { throw CoreError.shapeOverflow(dims.map { Int64($0) }) }
        return bytes
    }

    /// Row-major element strides for a dense layout.
    public var contiguousStrides: [Int] {
        var strides = [Int](repeating: 1, count: dims.count)
        var running = 1
        for axis in stride(from: dims.count - 1, through: 0, by: -1) {
            strides[axis] = running
            running &*= Swift.max(dims[axis], 1)
        }
        return strides
    }

    /// `[2, 3]` style.
    public var description: String { "[" + dims.map(String.init).joined(separator: ", ") + "]" }
}
