import MPTCore
import MPTGraph
import MPTQuant

/// The `Float` path's weight reads: each matrix comes from the provider as stored
/// (`WeightProvider.matrix`) and is read in place by the kernels, embedding rows are gathered one
/// by one. Nothing the size of a weight is allocated; the mapped pages of a weight are released
/// when its step is done unless `releasesWeightPages` is off (generation keeps them).
extension MPTForward {
    /// `output = input · Wᵀ (+ bias)` with `W` = `tensor` (`[outputSize × inputSize]`) read in place.
    func multiplyInPlace(
        _ tensor: CanonicalTensor, rows: Int, outputSize: Int, inputSize: Int, input: UnsafePointer<Float>,
        bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, scratch: DecodeScratch
    ) throws {
        let matrix = try weights.matrix(tensor, rows: outputSize, columns: inputSize)
        let check = checkedWeights.needsCheck(tensor)
        let finding = try MatrixMultiply.multiplyTransposed(
            rows: rows, columns: outputSize, depth: inputSize, a: input, lda: inputSize, b: matrix, bias: bias,
            c: output, ldc: outputSize, threads: threads, scratch: scratch, checkFinite: check)
        if releasesWeightPages { matrix.releasePages() }
        if let finding { throw NonFiniteWeight(tensor: tensor, element: finding.index, value: finding.value) }
        if check { checkedWeights.markChecked(tensor) }
    }

    /// Adds (or with `replace`, copies) rows `indices` of the table `tensor` (`[rows × d_model]`,
    /// its expected shape) into consecutive rows of `state`, decoding only those rows; a
    /// non-finite element among them throws `NonFiniteWeight`.
    func gatherRows<T: ForwardScalar>(_ tensor: CanonicalTensor, _ indices: [Int], into state: ScratchBuffer<T>, replace: Bool) throws {
        let shape = tensor.expectedShape(config)
        let d = config.dModel
        let table = try weights.matrix(tensor, rows: shape.first ?? 0, columns: d)
        defer { if releasesWeightPages { table.releasePages() } }
        var row = [Float](repeating: 0, count: d)
        try row.withUnsafeMutableBufferPointer { buffer in
            guard let decoded = buffer.baseAddress else { return }
            for (target, index) in indices.enumerated() {
                guard index >= 0, index < table.rows else {
                    throw ReferenceError.weightSize(tensor: tensor.name, expected: index + 1, actual: table.rows)
                }
                table.decode(row: index, columns: 0..<d, into: decoded)
                if let position = NonFiniteScan.first(in: decoded, count: d) {
                    throw NonFiniteWeight(tensor: tensor, element: index * d + position, value: decoded[position])
                }
                let output = state.pointer + target * d
                for i in 0..<d { output[i] = replace ? T(decoded[i]) : output[i] + T(decoded[i]) }
            }
        }
    }
}
