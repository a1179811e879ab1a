/// How far one candidate tensor is from the reference, next to how far a fresh quantization of the
/// reference in the candidate's own declared format is.
public struct TensorWeightError: Sendable, Equatable {
    /// The tensor's name in the candidate file.
    public let tensor: String
    /// The candidate's stored format (`Q4_K`, `NF4`, `F16`, …).
    public let format: String
    /// ‖candidate − reference‖ / ‖reference‖ over the tensor's values.
    public let candidateError: Double
    /// ‖fresh − reference‖ / ‖reference‖.
    public let freshError: Double
    /// The candidate's bytes equal the fresh quantization's.
    public let identical: Bool

    public init(tensor: String, format: String, candidateError: Double, freshError: Double, identical: Bool) {
        self.tensor = tensor
        self.format = format
        self.candidateError = candidateError
        self.freshError = freshError
        self.identical = identical
    }

    /// ‖a − b‖ / ‖b‖ in `Double` (0 when both are zero, +∞ when only `b` is).
    public static func relativeError(_ a: [Float], _ b: [Float]) -> Double {
        guard a.count == b.count else { return .infinity }
        var sums = ErrorSums()
        a.withUnsafeBufferPointer { a in b.withUnsafeBufferPointer { b in if let base = b.baseAddress { sums.add(a, base) } } }
        return sums.value
    }

    /// The running sums of `relativeError`, fed in pieces (element order kept, so the value is
    /// the same as over the whole arrays).
    struct ErrorSums {
        private var difference = 0.0, norm = 0.0

        /// Adds `a[i]` against `b[i]` for `i < a.count`.
        mutating func add(_ a: UnsafeBufferPointer<Float>, _ b: UnsafePointer<Float>) {
            for index in 0..<a.count {
                let delta = Double(a[index]) - Double(b[index])
                difference += delta * delta
                norm += Double(b[index]) * Double(b[index])
            }
        }

        /// ‖a − b‖ / ‖b‖ (0 when both are zero, +∞ when only `b` is).
        var value: Double {
            if difference == 0 { return 0 }
            return norm > 0 ? (difference / norm).squareRoot() : .infinity
        }
    }
}

/// How much worse than a fresh quantization a tensor may be: `candidate ≤ fresh × (1 + relative)
/// + absolute`. See Formats/verify.md ("Fresh-quantization verdict") for the measurements.
public struct WeightErrorMargin: Sendable, Equatable {
    /// Allowed excess as a fraction of the fresh error.
    public let relative: Double
    /// Allowed excess regardless of the fresh error (covers a candidate made from a copy of the
    /// reference rounded to 16 bits, whose fresh cast error is 0).
    public let absolute: Double

    public init(relative: Double, absolute: Double) {
        self.relative = relative
        self.absolute = absolute
    }

    /// The defaults: on the trained fixture a llama-quantize file made with an imatrix is at most
    /// 1.033× the fresh error in any tensor (Q3_K_M), the least-broken candidate 1.60× (Q4_0 block
    /// scales ×1.1); see Formats/verify.md.
    public static let standard = WeightErrorMargin(relative: 0.2, absolute: 2e-3)

    /// The largest candidate error that passes next to `fresh`.
    public func limit(fresh: Double) -> Double { fresh * (1 + relative) + absolute }
}

/// Every tensor's weight error next to the fresh quantization's; passes when none is beyond the
/// margin.
public struct WeightErrorReport: Sendable, Equatable {
    /// Per tensor, in model order.
    public let tensors: [TensorWeightError]
    /// The margin judged against.
    public let margin: WeightErrorMargin

    public init(tensors: [TensorWeightError], margin: WeightErrorMargin = .standard) {
        self.tensors = tensors
        self.margin = margin
    }

    /// Whether `tensor` is within the margin (NaN never is).
    public func within(_ tensor: TensorWeightError) -> Bool {
        tensor.identical || (tensor.candidateError.isFinite && tensor.candidateError <= margin.limit(fresh: tensor.freshError))
    }

    /// The tensors beyond the margin.
    public var beyondMargin: [TensorWeightError] { tensors.filter { !within($0) } }
    /// Every tensor's bytes equal the fresh quantization's.
    public var identical: Bool { !tensors.isEmpty && tensors.allSatisfy(\.identical) }
    /// No tensor beyond the margin.
    public var passed: Bool { !tensors.isEmpty && beyondMargin.isEmpty }
}
