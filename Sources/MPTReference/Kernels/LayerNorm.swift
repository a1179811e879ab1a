/// LayerNorm over the last dimension, as PyTorch `nn.LayerNorm` (biased variance, `eps` inside
/// the square root): `y = (x − mean) / sqrt(var + eps) · weight (+ bias)`.
///
/// The SIMD path takes two passes in 8-lane `Float` accumulators (mean, then centred variance,
/// both finished in `Double`); `normalizeRowScalar` is the twin that sums in `Double`.
public enum LayerNorm {
    /// Normalizes `rows` rows of `width` values. Input row `r` starts at `input + r·inputStride`,
    /// output row at `output + r·outputStride`; input and output may be the same memory.
    public static func normalize(
        rows: Int, width: Int,
        input: UnsafePointer<Float>, inputStride: Int,
        output: UnsafeMutablePointer<Float>, outputStride: Int,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, epsilon: Double
    ) {
        for row in 0..<rows {
            normalizeRow(
                width: width, input: input + row * inputStride, output: output + row * outputStride,
                weight: weight, bias: bias, epsilon: epsilon)
        }
    }

    /// One row, SIMD.
    @inlinable
    public static func normalizeRow(
        width: Int, input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>,
        weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, epsilon: Double
    ) {
        guard width > 0 else { return }
        let vectorEnd = width & ~7
        var sums = SIMD8<Float>()
        var i = 0
        while i < vectorEnd {
            sums += load(input + i)
            i &+= 8
        }
        var total = Double(sums.sum())
        while i < width { total += Double(input[i]); i &+= 1 }
        let mean = Float(total / Double(width))

        var squares = SIMD8<Float>()
        let meanVector = SIMD8<Float>(repeating: mean)
        i = 0
        while i < vectorEnd {
            let centred = load(input + i) - meanVector
            squares += centred * centred
            i &+= 8
        }
        var squareTotal = Double(squares.sum())
        while i < width { let centred = Double(input[i] - mean); squareTotal += centred * centred; i &+= 1 }
        let scale = Float(1 / (squareTotal / Double(width) + epsilon).squareRoot())

        let scaleVector = SIMD8<Float>(repeating: scale)
        i = 0
        while i < vectorEnd {
            var value = (load(input + i) - meanVector) * scaleVector * load(weight + i)
            if let bias { value += load(bias + i) }
            UnsafeMutableRawPointer(output + i).storeBytes(of: value, as: SIMD8<Float>.self)
            i &+= 8
        }
        while i < width {
            output[i] = (input[i] - mean) * scale * weight[i] + (bias?[i] ?? 0)
            i &+= 1
        }
    }

    /// One row, scalar, generic over the element type; sums in `Double`.
    @inlinable
    public static func normalizeRowScalar<T: BinaryFloatingPoint>(
        width: Int, input: UnsafePointer<T>, output: UnsafeMutablePointer<T>,
        weight: UnsafePointer<T>, bias: UnsafePointer<T>?, epsilon: Double
    ) {
        guard width > 0 else { return }
        var total = 0.0
        for i in 0..<width { total += Double(input[i]) }
        let mean = total / Double(width)
        var squareTotal = 0.0
        for i in 0..<width { let centred = Double(input[i]) - mean; squareTotal += centred * centred }
        let scale = 1 / (squareTotal / Double(width) + epsilon).squareRoot()
        for i in 0..<width {
            let normalized = T((Double(input[i]) - mean) * scale)
            output[i] = normalized * weight[i] + (bias?[i] ?? 0)
        }
    }

    @inline(__always) @usableFromInline
    static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
    }
}
