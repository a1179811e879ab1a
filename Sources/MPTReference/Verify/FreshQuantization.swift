import MPTCore
import MPTFormats
import MPTGraph
import MPTQuant

/// The reference re-quantized the way the candidate declares it was made, tensor by tensor in
/// one pass: each tensor in the candidate's own stored format (its ggml type, NF4 settings, int8,
/// or dense dtype), held in memory in that encoding, together with every tensor's weight error
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
            let referenceValues = try Dequantizer.floats(referenceSource)
            let made = try FreshTensor.make(candidate: candidateSource, reference: referenceValues, referenceSource: referenceSource,
                                            computeDType: computeDType, threads: threads)
            let candidateValues = try Dequantizer.floats(candidateSource)
            fresh.tensors[tensor] = made.source
            errors.append(TensorWeightError(
                tensor: name, format: candidateSource.typeName,
                candidateError: TensorWeightError.relativeError(candidateValues, referenceValues),
                freshError: TensorWeightError.relativeError(made.values, referenceValues), identical: made.identical))
        }
        model = fresh
        weights = WeightErrorReport(tensors: errors, margin: margin)
    }

    /// The dtype a bitsandbytes conversion stored its unquantized tensors in, which is the
    /// compute dtype it rounded each weight to before quantizing (the token embedding's dtype).
    static func computeDType(_ candidate: MPTModel) -> DType? {
        if case let .dense(view)? = candidate.tensors[.tokenEmbedding]?.stored { return view.dtype }
        return nil
    }

    /// True when some weight of `candidate` is stored quantized (a fresh quantization is then
    /// worth a forward pass).
    public static func isQuantized(_ candidate: MPTModel) -> Bool {
        candidate.tensors.values.contains { $0.stored.isQuantized }
    }
}
