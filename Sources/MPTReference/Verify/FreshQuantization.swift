import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// The reference re-quantized the way the candidate declares it was made, tensor by tensor in
/// one pass: each tensor in the candidate's own stored format (its ggml type, NF4 settings, int8,
/// or dense dtype), kept in that encoding in a scratch file mapped read-only (`FreshSpill`: page
/// cache, not resident memory; the reference's and candidate's pages are released after each
/// tensor too), together with every tensor's weight error
/// next to the fresh one's. `model` runs through the same forward engine as the candidate
/// (`ModelWeightProvider(model:)` reads its quantized bytes in place), so the candidate's KL can be
/// judged against what an honest conversion of the reference gives on the same tokens.
public struct FreshQuantization: Sendable {
    /// The candidate's model with every tensor replaced by its fresh counterpart.
    public let model: MPTModel
    /// Per-tensor weight errors of the candidate and the fresh quantization.
    public let weights: WeightErrorReport

    /// Re-quantizes `reference` like `candidate`. `margin` judges the weight errors; `progress`
    /// is called with each tensor's name before it is processed.
    public init(
        reference: MPTModel, candidate: MPTModel, margin: WeightErrorMargin = .standard, threads: Int = 2,
        progress: (String) -> Void = { _ in }
    ) throws {
        let computeDType = Self.computeDType(candidate)
        var fresh = candidate
        var errors: [TensorWeightError] = []
        let spill = try FreshSpill()
        for tensor in candidate.orderedTensors {
            let name = candidate.sourceNames[tensor] ?? tensor.name
            progress(name)
            let candidateSource = try candidate.source(tensor)
            // A tensor the reference lacks, or holds with another element count (another model's
            // shape), cannot be re-made: it is beyond any margin, and the candidate's own serves.
            guard let referenceSource = reference.tensors[tensor],
                  candidateSource.shape.reduce(1, &*) == referenceSource.shape.reduce(1, &*) else {
                errors.append(TensorWeightError(tensor: name, format: candidateSource.typeName, candidateError: .infinity,
                                                freshError: 0, identical: false))
                continue
            }
            // One float copy of the reference at a time: the candidate's and the fresh tensor's
            // errors are summed row by row as they are decoded (`StoredMatrix`), not from copies.
            let referenceValues = try Dequantizer.floats(referenceSource)
            let candidateError = try Self.relativeError(candidateSource, reference: referenceValues)
            let made = try FreshTensor.make(candidate: candidateSource, reference: referenceValues, referenceSource: referenceSource,
                                            computeDType: computeDType, threads: threads)
            let freshError = try Self.relativeError(made.source, reference: referenceValues)
            if Self.sameStorage(made.source, referenceSource) {
                fresh.tensors[tensor] = made.source  // the reference's own mapped bytes, served as they are
            } else {
                try spill.add(tensor, made.source)
            }
            Self.releasePages(of: referenceSource)
            Self.releasePages(of: candidateSource)
            errors.append(TensorWeightError(tensor: name, format: candidateSource.typeName, candidateError: candidateError,
                                            freshError: freshError, identical: made.identical))
        }
        fresh.tensors.merge(try spill.finish()) { _, spilled in spilled }
        model = fresh
        weights = WeightErrorReport(tensors: errors, margin: margin)
    }

    /// The dtype a bitsandbytes conversion stored its unquantized tensors in, which is the
    /// compute dtype it rounded each weight to before quantizing (the token embedding's dtype).
    static func computeDType(_ candidate: MPTModel) -> DType? {
        if case let .dense(view)? = candidate.tensors[.tokenEmbedding]?.stored { return view.dtype }
        return nil
    }

    /// `TensorWeightError.relativeError(decoded source, reference)`, the source decoded one row
    /// (innermost dimension) at a time; the same sums in the same order, so the same value.
    static func relativeError(_ source: TensorSource, reference: [Float]) throws -> Double {
        let columns = source.shape.last ?? reference.count
        guard columns > 0, reference.count % columns == 0, source.shape.reduce(1, &*) == reference.count else { return .infinity }
        let matrix = try StoredMatrix(source, rows: reference.count / columns, columns: columns)
        var sums = TensorWeightError.ErrorSums()
        var row = [Float](repeating: 0, count: columns)
        try reference.withUnsafeBufferPointer { referenceRows in
            try row.withUnsafeMutableBufferPointer { decoded in
                guard let target = decoded.baseAddress, let base = referenceRows.baseAddress else {
                    throw ReferenceError.sizeMismatch("empty tensor")
                }
                for index in 0..<matrix.rows {
                    matrix.decode(row: index, columns: 0..<columns, into: target)
                    sums.add(UnsafeBufferPointer(decoded), base + index * columns)
                }
            }
        }
        return sums.value
    }

    /// Whether both are dense views of the same bytes.
    static func sameStorage(_ a: TensorSource, _ b: TensorSource) -> Bool {
        guard case let .dense(left) = a, case let .dense(right) = b else { return false }
        return left.storage === right.storage && left.byteOffset == right.byteOffset
    }

    /// Drops the mapped pages behind `source` (a no-op for heap bytes).
    static func releasePages(of source: TensorSource) {
        switch source {
        case let .dense(view): view.storage.dropCachedPages(offset: view.byteOffset, length: view.byteCount)
        case let .quantized(tensor):
            for view in tensor.components.values { view.storage.dropCachedPages(offset: view.byteOffset, length: view.byteCount) }
        case let .merged(base, _): releasePages(of: base)
        }
    }

    /// True when some weight of `candidate` is stored quantized (a fresh quantization is then
    /// worth a forward pass).
    public static func isQuantized(_ candidate: MPTModel) -> Bool {
        candidate.tensors.values.contains { $0.stored.isQuantized }
    }
}
