import MPTCore
import MPTFormats
import MPTGraph

/// A 2-D weight `[rows × columns]` read in place from where it is stored (usually a mapped file),
/// for matrix kernels that stream it: float32 rows are used as they are (`float32Rows`), every
/// other encoding is decoded one row segment at a time (`decode(row:columns:into:kernel:)`) into
/// memory the caller owns. Nothing the size of the tensor is allocated, except for sources that
/// have no stored values to read (a LoRA merge, a strided view, a dense dtype other than
/// f32/f16/bf16, NF4 with a custom nested map): those are decoded once into memory the matrix owns.
///
/// Segment values equal the full decoders' (`Dequantizer.floats`) bit for bit, so a product over
/// decoded segments equals the product over the decoded tensor when it sums in the same order.
public struct StoredMatrix: Sendable {
    /// Rows (outermost dimension).
    public let rows: Int
    /// Elements per row.
    public let columns: Int
    /// Segment bounds passed to `decode` must be multiples of this (or `columns`): the block size
    /// of a ggml type, 1 for every other encoding.
    public let granule: Int
    let layout: Layout
    /// The views read (kept alive with the matrix; `releasePages` drops their mapped pages).
    let views: [TensorView]

    /// How the elements are stored.
    enum Layout: Sendable {
        /// Aligned, contiguous little-endian float32 rows.
        case float32(SendablePointer<Float>)
        /// Contiguous f16 / bf16 / unaligned f32 elements.
        case dense(SendablePointer<UInt8>, DType)
        /// ggml blocks, each row a whole number of them.
        case ggml(SendablePointer<UInt8>, GGMLType, rowBytes: Int)
        /// bitsandbytes NF4 (packed nibbles over the flattened tensor, block scales).
        case nf4(NF4StoredRows)
        /// bitsandbytes LLM.int8 row-wise codes and their per-row absmax.
        case int8(SendablePointer<UInt8>, scales: OwnedFloats)
        /// Values decoded once into memory the matrix owns.
        case owned(OwnedFloats)
    }

    init(rows: Int, columns: Int, granule: Int = 1, layout: Layout, views: [TensorView]) {
        self.rows = rows
        self.columns = columns
        self.granule = granule
        self.layout = layout
        self.views = views
    }

    /// Row-major float32 elements usable in place (row `r` at `r × columns`), or `nil` when rows
    /// must be decoded.
    public var float32Rows: UnsafePointer<Float>? {
        switch layout {
        case let .float32(pointer): return pointer.readOnly
        case let .owned(values): return values.readOnly
        default: return nil
        }
    }

    /// Aligned little-endian bf16 or f16 elements usable in place by the fused 16-bit dot
    /// products (row `r` at `r × columns`; `isBFloat16` says which), or `nil` for every other
    /// layout.
    public var halfRows: (bits: UnsafePointer<UInt16>, isBFloat16: Bool)? {
        guard case let .dense(bytes, dtype) = layout, dtype == .f16 || dtype == .bf16,
              Int(bitPattern: bytes.readOnly) % 2 == 0 else { return nil }
        return (UnsafeRawPointer(bytes.readOnly).assumingMemoryBound(to: UInt16.self), dtype == .bf16)
    }

    /// Element count (`rows × columns`; checked when the matrix was made).
    public var elementCount: Int { rows &* columns }

    /// Tells the kernel the mapped pages behind the matrix are no longer needed (see
    /// `ByteStorage.dropCachedPages`): a streaming pass over a large model then keeps about one
    /// tensor resident. The matrix stays valid: later reads fault the pages back in.
    public func releasePages() {
        for view in views { view.storage.dropCachedPages(offset: view.byteOffset, length: view.byteCount) }
    }

    /// Decodes elements `columns` of `row` into `destination` (`columns.count` floats). `row` must
    /// be below `rows`, and the bounds of `columns` inside `0...self.columns` and multiples of
    /// `granule` (or `self.columns`); callers (the kernels) guarantee it. `.simd` decodes with the
    /// `VectorKernels` of `level` (a level this CPU supports), `.scalar` with the plain twins.
    public func decode(
        row: Int, columns range: Range<Int>, into destination: UnsafeMutablePointer<Float>, kernel: KernelVariant = .simd,
        level: KernelLevel = .active
    ) {
        guard !range.isEmpty else { return }
        let first = row &* columns &+ range.lowerBound
        switch layout {
        case let .float32(pointer):
            destination.update(from: pointer.readOnly + first, count: range.count)
        case let .owned(values):
            destination.update(from: values.readOnly + first, count: range.count)
        case let .dense(bytes, dtype):
            DenseRows.decode(bytes.readOnly, dtype: dtype, first: first, count: range.count, into: destination, kernel: kernel, level: level)
        case let .ggml(bytes, type, rowBytes):
            GGMLRows.decode(bytes.readOnly + row &* rowBytes, type: type, columns: range, into: destination, kernel: kernel, level: level)
        case let .nf4(layout):
            layout.decode(first: first, count: range.count, into: destination, kernel: kernel)
        case let .int8(codes, scales):
            Int8Rows.decode(
                codes.readOnly + first, count: range.count, scale: scales.readOnly[row], into: destination, kernel: kernel, level: level)
        }
    }

    /// All elements row-major as `Float` (what `Dequantizer.floats` gives for the same source).
    public func floats(kernel: KernelVariant = .simd) -> [Float] {
        var values = [Float](repeating: 0, count: elementCount)
        values.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for row in 0..<rows { decode(row: row, columns: 0..<columns, into: base + row &* columns, kernel: kernel) }
        }
        return values
    }

    /// Row-major index and value of the first NaN or ±infinity, or `nil` when all are finite.
    /// Scans float32 rows in place and decodes the others one row at a time.
    public func firstNonFinite() -> (index: Int, value: Float)? {
        if let base = float32Rows {
            return NonFiniteScan.first(in: base, count: elementCount).map { ($0, base[$0]) }
        }
        var row = [Float](repeating: 0, count: columns)
        return row.withUnsafeMutableBufferPointer { buffer -> (Int, Float)? in
            guard let base = buffer.baseAddress else { return nil }
            for index in 0..<rows {
                decode(row: index, columns: 0..<columns, into: base)
                if let position = NonFiniteScan.first(in: base, count: columns) { return (index &* columns &+ position, base[position]) }
            }
            return nil
        }
    }
}

/// Floats in a heap buffer owned by a matrix (or its scales), freed with it; never written after
/// construction.
final class OwnedFloats: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let count: Int

    init(_ values: [Float]) {
        count = values.count
        pointer = UnsafeMutablePointer<Float>.allocate(capacity: max(1, count))
        _ = UnsafeMutableBufferPointer(start: pointer, count: count).initialize(from: values)
    }

    deinit { pointer.deallocate() }

    var readOnly: UnsafePointer<Float> { UnsafePointer(pointer) }
}

/// Finds non-finite floats by their bits (exponent all ones), an integer test LLVM vectorizes.
public enum NonFiniteScan {
    /// Index of the first NaN or ±infinity among `count` floats, or `nil`.
    @inlinable
    public static func first(in values: UnsafePointer<Float>, count: Int) -> Int? {
        var start = 0
        while start < count {
            let end = min(count, start &+ 256)
            var flags: UInt32 = 0
            for index in start..<end {
                // The exponent field is 0xFF exactly when adding one to it carries into the sign bit.
                flags |= ((values[index].bitPattern & 0x7F80_0000) &+ 0x0080_0000) &>> 31
            }
            if flags != 0 {
                for index in start..<end where !values[index].isFinite { return index }
            }
            start = end
        }
        return nil
    }
}
