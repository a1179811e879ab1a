import Foundation
import MPTCore
import MPTFormats
import MPTGraph

extension StoredMatrix {
    /// Errors making a matrix from a source.
    public enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The source holds `actual` elements, not `rows × columns`.
        case elementCount(expected: Int, actual: Int)
        /// A ggml row of `columns` elements is not a whole number of `blockSize` blocks.
        case partialBlockRow(type: String, columns: Int, blockSize: Int)

        public var description: String {
            switch self {
            case let .elementCount(expected, actual): return "holds \(actual) elements, expected \(expected)"
            case let .partialBlockRow(type, columns, blockSize):
                return "\(type) rows of \(columns) elements are not whole blocks of \(blockSize)"
            }
        }
    }

    /// The matrix `[rows × columns]` over `source` (its elements row-major, whatever its own
    /// shape, as long as the count matches). Checks every size against the stored bytes, so
    /// decoding never reads outside them.
    public init(_ source: TensorSource, rows: Int, columns: Int) throws {
        let expected = try Checked.multiply(rows, columns, "weight size")
        guard rows >= 0, columns >= 0 else { throw Failure.elementCount(expected: expected, actual: 0) }
        let actual = try source.shape.reduce(1) { try Checked.multiply($0, $1, "weight size") }
        guard actual == expected else { throw Failure.elementCount(expected: expected, actual: actual) }
        switch source {
        case let .dense(view):
            self = try Self.dense(view, rows: rows, columns: columns)
        case let .quantized(tensor):
            self = try Self.quantized(tensor, rows: rows, columns: columns)
        case .merged:
            self = try Self.owning(Dequantizer.floats(source), rows: rows, columns: columns)
        }
    }

    /// A matrix over values already in memory (copied once into memory the matrix owns).
    public static func owning(_ values: [Float], rows: Int, columns: Int) throws -> StoredMatrix {
        let expected = try Checked.multiply(rows, columns, "weight size")
        guard values.count == expected else { throw Failure.elementCount(expected: expected, actual: values.count) }
        return StoredMatrix(rows: rows, columns: columns, layout: .owned(OwnedFloats(values)), views: [])
    }

    static func base(of view: TensorView) -> SendablePointer<UInt8>? {
        guard let start = view.storage.bytes.baseAddress else { return nil }
        return SendablePointer(raw: start + view.byteOffset)
    }

    static func dense(_ view: TensorView, rows: Int, columns: Int) throws -> StoredMatrix {
        guard view.isContiguous, view.byteCount > 0, let base = base(of: view) else {
            return try owning(view.floats(), rows: rows, columns: columns)
        }
        switch view.dtype {
        case .f32 where Int(bitPattern: base.raw) % MemoryLayout<Float>.alignment == 0:
            return StoredMatrix(rows: rows, columns: columns, layout: .float32(SendablePointer(base.raw.assumingMemoryBound(to: Float.self))), views: [view])
        case .f32, .f16, .bf16:
            return StoredMatrix(rows: rows, columns: columns, layout: .dense(base, view.dtype), views: [view])
        default:
            return try owning(view.floats(), rows: rows, columns: columns)
        }
    }

    static func quantized(_ tensor: QuantizedTensor, rows: Int, columns: Int) throws -> StoredMatrix {
        if let type = GGMLType.allCases.first(where: { $0.description == tensor.format }), GGMLQuantizer.supports(type) {
            return try ggml(tensor, type: type, rows: rows, columns: columns)
        }
        switch tensor.format {
        case "NF4":
            if let matrix = try nf4(tensor.components, rows: rows, columns: columns) { return matrix }
        case "INT8":
            return try int8(tensor.components, rows: rows, columns: columns)
        default:
            break
        }
        return try owning(Dequantizer.floats(.quantized(tensor)), rows: rows, columns: columns)
    }

    static func ggml(_ tensor: QuantizedTensor, type: GGMLType, rows: Int, columns: Int) throws -> StoredMatrix {
        guard let blocks = tensor.components["blocks"] else {
            throw Dequantizer.Failure.missingComponent(format: tensor.format, role: "blocks")
        }
        guard type.blockSize > 0, columns % type.blockSize == 0 else {
            throw Failure.partialBlockRow(type: tensor.format, columns: columns, blockSize: type.blockSize)
        }
        let rowBytes = try Checked.multiply(columns / type.blockSize, type.typeSize, "\(type) row size")
        let total = try Checked.multiply(rowBytes, rows, "\(type) size")
        guard blocks.isContiguous, blocks.byteCount == total else {
            throw GGMLQuantError.bufferSize(what: "\(type) source", expected: total, actual: blocks.byteCount)
        }
        guard total > 0, let base = base(of: blocks) else {
            return try owning([Float](repeating: 0, count: rows &* columns), rows: rows, columns: columns)
        }
        return StoredMatrix(rows: rows, columns: columns, granule: type.blockSize, layout: .ggml(base, type, rowBytes: rowBytes), views: [blocks])
    }

    static func int8(_ views: [String: TensorView], rows: Int, columns: Int) throws -> StoredMatrix {
        let lookup = ComponentLookup(views: views)
        let weight = try lookup.view("weight")
        guard weight.dtype == .i8, weight.shape.rank == 2, weight.shape.dims == [rows, columns] else {
            throw BitsAndBytesError.badComponent(name: "weight", reason: "\(weight.dtype) \(weight.shape), expected a \(rows)×\(columns) I8 matrix")
        }
        if let format = views["weight_format"] {
            let bytes = try format.contiguousBytes()
            guard format.shape.elementCount == 1, bytes.allSatisfy({ $0 == 0 }) else {
                throw BitsAndBytesError.badComponent(name: "weight_format", reason: "only row-major (0) is supported")
            }
        }
        let scales = try lookup.floats("SCB", count: rows)
        guard weight.isContiguous, weight.byteCount > 0, let base = base(of: weight) else {
            return try owning(BitsAndBytesInt8.dequantize(components: views).values, rows: rows, columns: columns)
        }
        return StoredMatrix(rows: rows, columns: columns, layout: .int8(base, scales: OwnedFloats(scales)), views: [weight])
    }

    /// The NF4 matrix read in place, or `nil` when it must be decoded whole (a custom nested
    /// map, non-contiguous components). Validates like `BitsAndBytesNF4.tensor(fromComponents:)`.
    static func nf4(_ views: [String: TensorView], rows: Int, columns: Int) throws -> StoredMatrix? {
        let lookup = ComponentLookup(views: views)
        let stateBytes = try lookup.view(BitsAndBytesNF4.quantStateName).contiguousBytes()
        let state: NF4QuantStateJSON
        do {
            state = try JSONDecoder().decode(NF4QuantStateJSON.self, from: Data(stateBytes))
        } catch {
            throw BitsAndBytesError.badQuantState("not the expected JSON object (\(error))")
        }
        guard state.quant_type == "nf4" else { throw BitsAndBytesError.badQuantState("quant_type '\(state.quant_type)' is not nf4") }
        guard BitsAndBytesNF4.allowedBlocksizes.contains(state.blocksize) else { throw BitsAndBytesError.invalidBlocksize(state.blocksize) }
        guard let dims = state.shape else { throw BitsAndBytesError.badQuantState("no shape") }
        let count = try Shape(checking: dims).elementCount
        guard count == rows &* columns else { throw Failure.elementCount(expected: rows &* columns, actual: count) }
        let blocks = count / state.blocksize + (count % state.blocksize == 0 ? 0 : 1)
        let packed = try checkedView(lookup, "weight", bytes: count / 2 + count % 2, dtypes: [.u8, .i8, .f16, .bf16, .f32])
        let quantMap = try lookup.floats("weight.quant_map", count: 16)
        guard quantMap == BitsAndBytesCodebook.nf4 else { return nil }  // decoded whole, as bitsandbytes would
        let scales: NF4StoredRows.Scales
        var used = [packed]
        if let nestedBlocksize = state.nested_blocksize {
            guard nestedBlocksize > 0, nestedBlocksize <= 1 << 20 else {
                throw BitsAndBytesError.badQuantState("nested_blocksize \(nestedBlocksize)")
            }
            guard let offset = state.nested_offset else { throw BitsAndBytesError.badQuantState("nested_offset missing") }
            let codes = try checkedView(lookup, "weight.absmax", bytes: blocks, dtypes: [.u8])
            let nestedBlocks = blocks / nestedBlocksize + (blocks % nestedBlocksize == 0 ? 0 : 1)
            let nested = try checkedView(lookup, "weight.nested_absmax", bytes: nestedBlocks &* 4, dtypes: [.f32])
            guard try lookup.floats("weight.nested_quant_map", count: 256) == BitsAndBytesCodebook.dynamicSigned else { return nil }
            guard let codeBase = base(of: codes), let nestedBase = base(of: nested) else { return nil }
            scales = .nested(codes: codeBase, nested: nestedBase, offset: Float(offset), nestedBlocksize: nestedBlocksize)
            used += [codes, nested]
        } else {
            let absmax = try checkedView(lookup, "weight.absmax", bytes: blocks &* 4, dtypes: [.f32])
            guard let absmaxBase = base(of: absmax) else { return nil }
            scales = .plain(absmaxBase)
            used.append(absmax)
        }
        guard used.allSatisfy(\.isContiguous), let packedBase = base(of: packed) else { return nil }
        let layout = NF4StoredRows(packed: packedBase, blocksize: state.blocksize, scales: scales)
        return StoredMatrix(rows: rows, columns: columns, layout: .nf4(layout), views: used)
    }

    /// The component `name`, contiguous, of a dtype in `dtypes`, exactly `bytes` long.
    private static func checkedView(_ lookup: ComponentLookup, _ name: String, bytes: Int, dtypes: Set<DType>) throws -> TensorView {
        let view = try lookup.view(name)
        guard dtypes.contains(view.dtype) else {
            throw BitsAndBytesError.badComponent(name: name, reason: "dtype \(view.dtype) is not one of \(dtypes.map(\.rawValue).sorted())")
        }
        let byteCount = try Checked.multiply(view.shape.elementCount, view.dtype.byteSize, "\(name) byte count")
        guard byteCount == bytes else { throw BitsAndBytesError.badComponent(name: name, reason: "\(byteCount) bytes, expected \(bytes)") }
        return view
    }
}
