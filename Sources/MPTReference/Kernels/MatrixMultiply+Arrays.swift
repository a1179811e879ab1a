import MPTCore

/// Array conveniences for the `Linear` layout.
extension MatrixMultiply {
    /// PyTorch `Linear`: `input` is `[rows, inputSize]`, `weight` `[outputSize, inputSize]`,
    /// `bias` `[outputSize]`; returns `[rows, outputSize]`. Sizes must match (checked).
    public static func linear(
        _ input: [Float], rows: Int, weight: [Float], outputSize: Int, bias: [Float]? = nil,
        threads: Int = 2, kernel: KernelVariant = .simd
    ) throws -> [Float] {
        let inputSize = rows == 0 ? 0 : input.count / rows
        guard rows >= 0, outputSize >= 0, input.count == rows * inputSize, weight.count == outputSize * inputSize,
              bias == nil || bias?.count == outputSize
        else {
            throw ReferenceError.sizeMismatch(
                "linear: input \(input.count) for \(rows) rows, weight \(weight.count) for \(outputSize) outputs, bias \(bias?.count ?? 0)")
        }
        var output = [Float](repeating: 0, count: rows * outputSize)
        input.withUnsafeBufferPointer { x in
            weight.withUnsafeBufferPointer { w in
                output.withUnsafeMutableBufferPointer { y in
                    guard let xBase = x.baseAddress, let wBase = w.baseAddress, let yBase = y.baseAddress else { return }
                    let run = { (biasPointer: UnsafePointer<Float>?) in
                        if kernel == .scalar {
                            multiplyTransposedScalar(
                                rows: rows, columns: outputSize, depth: inputSize, a: xBase, lda: inputSize, b: wBase,
                                ldb: inputSize, bias: biasPointer, c: yBase, ldc: outputSize)
                        } else {
                            multiplyTransposed(
                                rows: rows, columns: outputSize, depth: inputSize, a: xBase, lda: inputSize, b: wBase,
                                ldb: inputSize, bias: biasPointer, c: yBase, ldc: outputSize, threads: threads)
                        }
                    }
                    if let bias { bias.withUnsafeBufferPointer { run($0.baseAddress) } } else { run(nil) }
                }
            }
        }
        return output
    }
}
