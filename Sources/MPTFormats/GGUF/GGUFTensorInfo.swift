/// One tensor as a GGUF file describes it, validated against the file.
public struct GGUFTensorInfo: Sendable, Equatable {
    /// The tensor's name.
    public let name: String
    /// Dimensions innermost first, exactly as stored (ggml `ne[0]`, `ne[1]`, …).
    public let dims: [Int]
    /// Element or block type.
    public let type: GGMLType
    /// Offset of the data relative to the start of the data section (a multiple of the alignment).
    public let offset: Int
    /// Bytes of data (from the type's block size and type size).
    public let byteCount: Int
    /// Which file of a split GGUF holds the data (0 for a single file); `offset` is relative to
    /// that part's data section.
    public internal(set) var part = 0

    /// Dimensions outermost first (row-major, as PyTorch and `TensorView` use): `dims` reversed.
    public var rowMajorDims: [Int] { dims.reversed() }

    /// Number of elements.
    public var elementCount: Int { dims.reduce(1, *) }

    /// Describes a tensor; `byteCount` is computed and checked from `dims` and `type`.
    public init(name: String, dims: [Int], type: GGMLType, offset: Int) throws {
        var elements = 1
        for (index, dim) in dims.enumerated() {
            guard dim > 0 else {
                throw GGUFError.badDimension(tensor: name, index: index, value: UInt64(truncatingIfNeeded: dim))
            }
            let (product, overflow) = elements.multipliedReportingOverflow(by: dim)
            guard !overflow else { throw GGUFError.shapeOverflow(tensor: name, dims: dims) }
            elements = product
        }
        self.name = name
        self.dims = dims
        self.type = type
        self.offset = offset
        do {
            self.byteCount = try type.byteCount(innermostFirst: dims, tensor: name)
        } catch let error as GGUFError {
            throw error
        } catch {
            throw GGUFError.shapeOverflow(tensor: name, dims: dims)
        }
    }
}
