/// The element types the forward pass runs in: `Float` (fast kernels) and `Double` (exact
/// reference). Each supplies its product, LayerNorm row and transcendental functions.
public protocol ForwardScalar: BinaryFloatingPoint, Sendable {
    /// Weights as delivered by a `WeightProvider`, converted to `Self`.
    static func fromFloats(_ values: [Float]) -> [Self]
    /// `e^x`.
    static func exponential(_ x: Self) -> Self
    /// Exact (erf) GELU.
    static func gelu(_ x: Self) -> Self
    /// GELU with PyTorch's tanh approximation.
    static func geluTanh(_ x: Self) -> Self
    /// `C[s, o] = Σᵢ A[s, i] · B[o, i] (+ bias[o])`.
    static func multiplyTransposed(
        rows: Int, columns: Int, depth: Int, a: UnsafePointer<Self>, lda: Int, b: UnsafePointer<Self>, ldb: Int,
        bias: UnsafePointer<Self>?, c: UnsafeMutablePointer<Self>, ldc: Int, threads: Int)
    /// LayerNorm of one row (input and output may alias).
    static func layerNormRow(
        width: Int, input: UnsafePointer<Self>, output: UnsafeMutablePointer<Self>,
        weight: UnsafePointer<Self>, bias: UnsafePointer<Self>?, epsilon: Double)
}

extension Float: ForwardScalar {
    public static func fromFloats(_ values: [Float]) -> [Float] { values }
    public static func exponential(_ x: Float) -> Float { ReferenceMath.exp(x) }
    public static func gelu(_ x: Float) -> Float { Activation.gelu(x) }
    public static func geluTanh(_ x: Float) -> Float { Activation.geluTanh(x) }
    public static func multiplyTransposed(
        rows: Int, columns: Int, depth: Int, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int
    ) {
        MatrixMultiply.multiplyTransposed(
            rows: rows, columns: columns, depth: depth, a: a, lda: lda, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc,
            threads: threads)
    }
    public static func layerNormRow(
        width: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, epsilon: Double
    ) {
        LayerNorm.normalizeRow(width: width, input: input, output: output, weight: weight, bias: bias, epsilon: epsilon)
    }
}

extension Double: ForwardScalar {
    public static func fromFloats(_ values: [Float]) -> [Double] { values.map(Double.init) }
    public static func exponential(_ x: Double) -> Double { ReferenceMath.exp(x) }
    public static func gelu(_ x: Double) -> Double { Activation.gelu(x) }
    public static func geluTanh(_ x: Double) -> Double { Activation.geluTanh(x) }
    public static func multiplyTransposed(
        rows: Int, columns: Int, depth: Int, a: UnsafePointer<Double>, lda: Int, b: UnsafePointer<Double>, ldb: Int,
        bias: UnsafePointer<Double>?, c: UnsafeMutablePointer<Double>, ldc: Int, threads: Int
    ) {
        DoubleMatrixMultiply.multiplyTransposed(
            rows: rows, columns: columns, depth: depth, a: a, lda: lda, b: b, ldb: ldb, bias: bias, c: c, ldc: ldc,
            threads: threads)
    }
    public static func layerNormRow(
        width: Int, input: UnsafePointer<Double>, output: UnsafeMutablePointer<Double>,
        weight: UnsafePointer<Double>, bias: UnsafePointer<Double>?, epsilon: Double
    ) {
        LayerNorm.normalizeRowScalar(width: width, input: input, output: output, weight: weight, bias: bias, epsilon: epsilon)
    }
}
