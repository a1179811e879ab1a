/// A typed, shaped window onto bytes in a `ByteStorage` (usually a memory-mapped file).
///
/// Views never copy: `byteOffset` and `strides` locate elements inside `storage`. The constructor
/// checks that every addressed element lies inside the storage, so later reads cannot go out of
/// bounds.
public struct TensorView: Sendable {
    /// The bytes this view points into.
    public let storage: ByteStorage
    /// Element type.
    public let dtype: DType
    /// Logical shape, outermost first.
    public let shape: Shape
    /// Byte offset of element `[0, 0, …]` inside `storage`.
    public let byteOffset: Int
    /// Element strides, one per dimension (row-major dense when built without strides).
    public let strides: [Int]

    /// A dense row-major view; checks that it fits in `storage`.
    public init(storage: ByteStorage, dtype: DType, shape: Shape, byteOffset: Int) throws {
        try self.init(storage: storage, dtype: dtype, shape: shape, byteOffset: byteOffset, strides: shape.contiguousStrides)
    }

    /// A strided view; checks that the largest addressed element fits in `storage`.
    public init(storage: ByteStorage, dtype: DType, shape: Shape, byteOffset: Int, strides: [Int]) throws {
        guard strides.count == shape.rank else {
            throw CoreError.unsupported("\(strides.count) strides for a rank-\(shape.rank) shape")
        }
        guard byteOffset >= 0 else { throw CoreError.outOfBounds(what: "tensor", end: byteOffset, limit: storage.count) }
        if shape.elementCount > 0 {
            var lastElement = 0
            for (dim, stride) in zip(shape.dims, strides) {
                guard stride >= 0 else { throw CoreError.unsupported("negative stride \(stride)") }
                let step = try Checked.multiply(dim - 1, stride, "tensor extent")
                lastElement = try Checked.add(lastElement, step, "tensor extent")
            }
            let elementsSpanned = try Checked.add(lastElement, 1, "tensor extent")
            let bytesSpanned = try Checked.multiply(elementsSpanned, dtype.byteSize, "tensor extent")
            try storage.checkRange(offset: byteOffset, length: bytesSpanned, what: "tensor")
        }
        self.storage = storage
        self.dtype = dtype
        self.shape = shape
        self.byteOffset = byteOffset
        self.strides = strides
    }

    /// True when elements are dense and row-major.
    public var isContiguous: Bool { shape.elementCount <= 1 || strides == shape.contiguousStrides }

    /// Bytes of a dense view (`elementCount × byteSize`).
    public var byteCount: Int { shape.elementCount &* dtype.byteSize }

    /// Runs `body` over the raw bytes of a contiguous view.
    public func withContiguousBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        guard isContiguous else { throw CoreError.unsupported("raw bytes of a non-contiguous tensor view") }
        return try storage.withBytes(offset: byteOffset, length: byteCount, body)
    }

    /// The view's elements as a dense row-major byte array (gathers strided views).
    public func contiguousBytes() throws -> [UInt8] {
        if isContiguous { return try withContiguousBytes { Array($0) } }
        let size = dtype.byteSize
        var result = [UInt8](repeating: 0, count: byteCount)
        try result.withUnsafeMutableBytes { destination in
            try storage.withBytes(offset: 0, length: storage.count) { source in
                var index = 0
                try forEachElementOffset { elementOffset in
                    let from = byteOffset + elementOffset * size
                    guard from + size <= source.count else {
                        throw CoreError.outOfBounds(what: "tensor element", end: from + size, limit: source.count)
                    }
                    for byte in 0..<size { destination[index * size + byte] = source[from + byte] }
                    index += 1
                }
            }
        }
        return result
    }

    /// Visits every element's offset (in elements, relative to `byteOffset`) in row-major order.
    func forEachElementOffset(_ body: (Int) throws -> Void) rethrows {
        let dims = shape.dims
        if shape.elementCount == 0 { return }
        if dims.isEmpty { try body(0); return }
        var counter = [Int](repeating: 0, count: dims.count)
        var offset = 0
        for _ in 0..<shape.elementCount {
            try body(offset)
            var axis = dims.count - 1
            while axis >= 0 {
                counter[axis] += 1
                offset += strides[axis]
                if counter[axis] < dims[axis] { break }
                offset -= strides[axis] * dims[axis]
                counter[axis] = 0
                axis -= 1
            }
        }
    }

    /// A new view of the same bytes with another shape of equal element count (contiguous only).
    public func reshaped(_ newShape: Shape) throws -> TensorView {
        guard newShape.elementCount == shape.elementCount else {
            throw CoreError.unsupported("reshape \(shape) to \(newShape)")
        }
        guard isContiguous else { throw CoreError.unsupported("reshape of a non-contiguous view") }
        return try TensorView(storage: storage, dtype: dtype, shape: newShape, byteOffset: byteOffset)
    }

    /// Rows `range` of a contiguous view along its first dimension.
    public func rows(_ range: Range<Int>) throws -> TensorView {
        guard let first = shape.dims.first, range.lowerBound >= 0, range.upperBound <= first else {
            throw CoreError.unsupported("row range \(range) of shape \(shape)")
        }
        guard isContiguous else { throw CoreError.unsupported("row slice of a non-contiguous view") }
        let rowElements = shape.elementCount / max(first, 1)
        var dims = shape.dims
        dims[0] = range.count
        return try TensorView(
            storage: storage, dtype: dtype, shape: Shape(checking: dims),
            byteOffset: byteOffset + range.lowerBound * rowElements * dtype.byteSize)
    }
}
