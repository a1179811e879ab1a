import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// One candidate tensor made again from the reference's values, the way the candidate declares it
/// was made: the same ggml type, NF4 block size / double quantization / compute dtype, LLM.int8
/// rows, or the same dense dtype. The result is held in memory in its stored encoding (a ggml
/// tensor as its blocks, NF4 as its packed nibbles and scales) so the forward pass reads it in
/// place like a mapped file (`StoredMatrix`); no float32 copy of it is kept.
struct FreshTensor {
    /// The fresh tensor as the forward pass reads it.
    let source: TensorSource
    /// The candidate's stored bytes equal the fresh ones (for dense tensors: the values are equal).
    let identical: Bool

    /// Re-makes `candidate` from `reference` (the reference tensor's values, row-major).
    /// `computeDType` is the dtype a bitsandbytes conversion rounded the weight to before
    /// quantizing it (its dense tensors' dtype); `referenceSource` is served as it is when the
    /// candidate stores it densely without loss.
    static func make(
        candidate: TensorSource, reference: [Float], referenceSource: TensorSource, computeDType: DType?, threads: Int
    ) throws -> FreshTensor {
        switch candidate.stored {
        case let .quantized(stored):
            if let type = GGMLType.allCases.first(where: { $0.description == stored.format }), GGMLQuantizer.supports(type) {
                return try ggml(stored, type: type, reference: reference, threads: threads)
            }
            switch stored.format {
            case "NF4": return try nf4(stored, reference: reference, threads: threads)
            case "INT8": return try int8(stored, reference: reference, computeDType: computeDType, threads: threads)
            default: throw CandidateKind.Failure.unrecognizedFormat(format: stored.format, tensor: "a weight")
            }
        case let .dense(view):
            return try dense(view.dtype, reference: reference, referenceSource: referenceSource, candidate: candidate)
        case .merged:
            return try dense(.f32, reference: reference, referenceSource: referenceSource, candidate: candidate)
        }
    }

    /// The ggml blocks of `type`, quantized from the reference row by row (a row = the innermost
    /// dimension), byte-identical to llama-quantize without an imatrix.
    static func ggml(_ stored: QuantizedTensor, type: GGMLType, reference: [Float], threads: Int) throws -> FreshTensor {
        let rowLength = stored.shape.last ?? reference.count
        let byteCount = try GGMLQuantizer.byteCount(elementCount: reference.count, as: type)
        let storage = try ByteStorage(count: byteCount, origin: "fresh \(type)") { buffer in
            try reference.withUnsafeBufferPointer {
                try GGMLQuantizer.quantizeRows($0, rowLength: rowLength, as: type, into: buffer, threads: threads)
            }
        }
        let blocks = try TensorView(storage: storage, dtype: .u8, shape: Shape(checking: [byteCount]), byteOffset: 0)
        let fresh = QuantizedTensor(format: stored.format, shape: stored.shape, components: ["blocks": blocks], parameters: stored.parameters)
        let identical = try stored.components["blocks"].map { candidate in
            try candidate.withContiguousBytes { bytes in try blocks.withContiguousBytes { $0.elementsEqual(bytes) } }
        } ?? false
        return FreshTensor(source: .quantized(fresh), identical: identical)
    }

    /// NF4 with the candidate's block size, double quantization on or off, and compute dtype
    /// (the quant state's `dtype`, which the weight is rounded to first, as transformers does).
    static func nf4(_ stored: QuantizedTensor, reference: [Float], threads: Int) throws -> FreshTensor {
        let declared = try BitsAndBytesNF4.tensor(fromComponents: stored.components)
        var nested = false
        if case .nested = declared.absmax { nested = true }
        let options = NF4Options(blocksize: declared.blocksize, doubleQuantization: nested,
                                 sourceDType: declared.sourceDType, threadCount: threads)
        let fresh = try BitsAndBytesNF4.quantize(rounded(reference, to: declared.sourceDType), shape: declared.shape, options: options)
        let components = try views(BitsAndBytesNF4.components(of: fresh))
        return FreshTensor(source: .quantized(QuantizedTensor(format: "NF4", shape: stored.shape, components: components)),
                           identical: fresh == declared)
    }

    /// LLM.int8 row-wise codes of the weight rounded to the compute dtype.
    static func int8(_ stored: QuantizedTensor, reference: [Float], computeDType: DType?, threads: Int) throws -> FreshTensor {
        let declared = try BitsAndBytesInt8.tensor(fromComponents: stored.components)
        let values = computeDType.map { rounded(reference, to: $0) } ?? reference
        let fresh = try BitsAndBytesInt8.quantize(values, rows: declared.rows, columns: declared.columns, threadCount: threads)
        let components = try views(BitsAndBytesInt8.components(of: fresh))
        return FreshTensor(source: .quantized(QuantizedTensor(format: "INT8", shape: stored.shape, components: components)),
                           identical: fresh == declared)
    }

    /// The reference cast to the candidate's dense dtype. When the cast changes no value the
    /// reference's own source is served (nothing is copied); otherwise the cast is held as
    /// f16 / bf16 halves.
    static func dense(_ dtype: DType, reference: [Float], referenceSource: TensorSource, candidate: TensorSource) throws -> FreshTensor {
        let values = rounded(reference, to: dtype)
        let candidateValues = try Dequantizer.floats(candidate)
        let identical = candidateValues.count == values.count
            && zip(candidateValues, values).allSatisfy { $0.bitPattern == $1.bitPattern }
        guard dtype == .f16 || dtype == .bf16, !zip(values, reference).allSatisfy({ $0.bitPattern == $1.bitPattern }) else {
            return FreshTensor(source: referenceSource, identical: identical)
        }
        let storage = ByteStorage(count: values.count &* 2, origin: "fresh \(dtype)") { buffer in
            let halves = buffer.bindMemory(to: UInt16.self)
            values.withUnsafeBufferPointer { source in
                if dtype == .f16 {
                    _ = HalfConversion.convertFloatToF16(source, into: halves)
                } else {
                    HalfConversion.convertFloatToBF16(source, into: halves)
                }
            }
        }
        let view = try TensorView(storage: storage, dtype: dtype, shape: Shape(checking: candidate.shape), byteOffset: 0)
        return FreshTensor(source: .dense(view), identical: identical)
    }

    /// `values` rounded to `dtype` (nearest-even) and widened back; unchanged for other dtypes.
    static func rounded(_ values: [Float], to dtype: DType) -> [Float] {
        guard dtype == .f16 || dtype == .bf16 else { return values }
        var halves = [UInt16](repeating: 0, count: values.count)
        var out = [Float](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { source in
            halves.withUnsafeMutableBufferPointer { narrow in
                out.withUnsafeMutableBufferPointer { wide in
                    if dtype == .f16 {
                        _ = HalfConversion.convertFloatToF16(source, into: narrow)
                        HalfConversion.convertF16ToFloat(UnsafeBufferPointer(narrow), into: wide)
                    } else {
                        HalfConversion.convertFloatToBF16(source, into: narrow)
                        HalfConversion.convertBF16ToFloat(UnsafeBufferPointer(narrow), into: wide)
                    }
                }
            }
        }
        return out
    }

    /// Views over bitsandbytes components, each in its own heap buffer, keyed module-relative.
    static func views(_ components: [BitsAndBytesComponent]) throws -> [String: TensorView] {
        var out: [String: TensorView] = [:]
        for component in components {
            let storage = ByteStorage(copying: component.bytes, origin: "fresh \(component.name)")
            out[component.name] = try TensorView(storage: storage, dtype: component.dtype,
                                                 shape: Shape(checking: component.shape), byteOffset: 0)
        }
        return out
    }
}
