import MPTCore

extension GGUFFile {
    /// A zero-copy view of a tensor's stored bytes as a 1-D `U8` tensor (any ggml type; for
    /// block-quantized tensors these are the raw blocks in row-major order).
    public func rawView(of info: GGUFTensorInfo) throws -> TensorView {
        let shape = try Shape(checking: [info.byteCount])
        return try TensorView(storage: location(of: info).storage, dtype: .u8, shape: shape, byteOffset: byteRange(of: info).lowerBound)
    }

    /// The file's tensors as a format-neutral collection, in file order: plain-typed tensors as
    /// typed views with row-major shape, block-quantized tensors as their raw bytes (`rawView`).
    /// Tensor infos keep the block types; the collection's metadata records them as
    /// `gguf.type.<name>` (e.g. `Q8_0`) for every tensor.
    public func tensorCollection(origin: String) throws -> TensorCollection {
        var collection = TensorCollection(origin: origin)
        for info in tensors {
            let view = info.type.denseDType == nil ? try rawView(of: info) : try denseView(of: info)
            try collection.add(info.name, view)
            collection.metadata["gguf.type." + info.name] = info.type.description
        }
        return collection
    }
}
