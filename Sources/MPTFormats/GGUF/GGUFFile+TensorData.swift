import MPTCore

extension GGUFFile {
    /// Absolute byte range of a tensor's data in the storage of its part (`location(of:)`;
    /// `storage` for a single file), validated when the file was parsed.
    public func byteRange(of info: GGUFTensorInfo) -> Range<Int> {
        let start = location(of: info).dataStart + info.offset
        return start..<(start + info.byteCount)
    }

    /// Absolute byte range of the tensor named `name`.
    public func byteRange(ofTensorNamed name: String) throws -> Range<Int> {
        guard let info = tensor(named: name) else { throw GGUFError.missingTensor(name) }
        return byteRange(of: info)
    }

    /// Runs `body` over a tensor's raw bytes in the mapped file (zero-copy; any ggml type).
    public func withBytes<R>(of info: GGUFTensorInfo, _ body: (UnsafeRawBufferPointer) throws -> R) throws -> R {
        let range = byteRange(of: info)
        return try location(of: info).storage.withBytes(offset: range.lowerBound, length: range.count, body)
    }

    /// A zero-copy view of a plain-typed tensor (F32, F16, BF16, F64, I8…I64) with row-major
    /// shape (the stored dims reversed). Block-quantized tensors throw `GGUFError.notDense`.
    public func denseView(of info: GGUFTensorInfo) throws -> TensorView {
        guard let dtype = info.type.denseDType else { throw GGUFError.notDense(tensor: info.name, type: info.type) }
        let shape = try Shape(checking: info.rowMajorDims)
        return try TensorView(storage: location(of: info).storage, dtype: dtype, shape: shape, byteOffset: byteRange(of: info).lowerBound)
    }

    /// A zero-copy view of the plain-typed tensor named `name`.
    public func denseView(ofTensorNamed name: String) throws -> TensorView {
        guard let info = tensor(named: name) else { throw GGUFError.missingTensor(name) }
        return try denseView(of: info)
    }
}
