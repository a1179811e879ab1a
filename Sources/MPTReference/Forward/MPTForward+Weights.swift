import MPTGraph

extension MPTForward {
    /// Fetches `tensor`, checks its element count against `expectedShape`, and lends it to `body`.
    func withWeight<T: ForwardScalar, R>(
        _ tensor: CanonicalTensor, as _: T.Type, _ body: (UnsafePointer<T>) throws -> R
    ) throws -> R {
        let values = T.fromFloats(try weights.floats(tensor))
        let expected = tensor.expectedShape(config).reduce(1, *)
        guard values.count == expected else {
            throw ReferenceError.weightSize(tensor: tensor.name, expected: expected, actual: values.count)
        }
        return try values.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else {
                throw ReferenceError.weightSize(tensor: tensor.name, expected: expected, actual: 0)
            }
            return try body(base)
        }
    }

    /// Like `withWeight`, but lends `nil` without fetching when the model has no biases.
    func withBias<T: ForwardScalar, R>(
        _ tensor: CanonicalTensor, as type: T.Type, _ body: (UnsafePointer<T>?) throws -> R
    ) throws -> R {
        if config.noBias { return try body(nil) }
        return try withWeight(tensor, as: type) { try body($0) }
    }

    /// LayerNorm of `rows` rows with the weight (and, unless `no_bias`, the bias) of `weightTensor`.
    func layerNorm<T: ForwardScalar>(
        _ input: UnsafePointer<T>, inputStride: Int, into output: UnsafeMutablePointer<T>, outputStride: Int,
        rows: Int, _ weightTensor: CanonicalTensor
    ) throws {
        let biasTensor: CanonicalTensor
        switch weightTensor {
        case let .block(layer, tensor, _): biasTensor = .block(layer, tensor, .bias)
        case .finalNorm: biasTensor = .finalNorm(.bias)
        default: biasTensor = weightTensor
        }
        let width = config.dModel
        try withWeight(weightTensor, as: T.self) { weight in
            try withBias(biasTensor, as: T.self) { bias in
                for row in 0..<rows {
                    T.layerNormRow(
                        width: width, input: input + row * inputStride, output: output + row * outputStride,
                        weight: weight, bias: bias, epsilon: config.layerNormEpsilon)
                }
            }
        }
    }

    /// `output = input · Wᵀ (+ b)` for the block linear `tensor`; in `Float` the weight is read
    /// in place (`multiplyInPlace`), in `Double` decoded whole.
    func linear<T: ForwardScalar>(
        _ layer: Int, _ tensor: CanonicalTensor.BlockTensor, rows: Int, input: UnsafePointer<T>,
        output: UnsafeMutablePointer<T>, scratch: DecodeScratch
    ) throws {
        let shape = CanonicalTensor.block(layer, tensor, .weight).expectedShape(config)
        let (outputSize, inputSize) = (shape[0], shape[1])
        if T.self == Float.self {
            try withBias(.block(layer, tensor, .bias), as: Float.self) { bias in
                try multiplyInPlace(
                    .block(layer, tensor, .weight), rows: rows, outputSize: outputSize, inputSize: inputSize,
                    input: UnsafeRawPointer(input).assumingMemoryBound(to: Float.self), bias: bias,
                    output: UnsafeMutableRawPointer(output).assumingMemoryBound(to: Float.self), scratch: scratch)
            }
            return
        }
        try withWeight(.block(layer, tensor, .weight), as: T.self) { weight in
            try withBias(.block(layer, tensor, .bias), as: T.self) { bias in
                T.multiplyTransposed(
                    rows: rows, columns: outputSize, depth: inputSize, a: input, lda: inputSize, b: weight,
                    ldb: inputSize, bias: bias, c: output, ldc: outputSize, threads: threads)
            }
        }
    }
}
