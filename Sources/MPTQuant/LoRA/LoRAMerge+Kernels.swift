/// Row kernels of the LoRA merge. Both compute, for every column j,
/// `delta[j] = Σ_k b[k]·a[k][j]` (k ascending, separate multiply and add), then
/// `w[j] = w[j] + delta[j]·scale`, so the SIMD kernel and its scalar twin agree bit for bit.
extension LoRAMerge {
    /// Vector width of the SIMD kernel.
    static let lanes = 8

    static func mergeRowSIMD(
        _ w: UnsafeMutableBufferPointer<Float>, delta: UnsafeMutableBufferPointer<Float>,
        a: UnsafeBufferPointer<Float>, bRow: UnsafeBufferPointer<Float>, scale: Float
    ) {
        let columns = w.count
        let vectorEnd = columns - columns % lanes
        let scaleVector = SIMD8<Float>(repeating: scale)
        guard let deltaBase = delta.baseAddress, let aBase = a.baseAddress, let wBase = w.baseAddress else { return }
        let deltaRaw = UnsafeMutableRawPointer(deltaBase)
        let aRaw = UnsafeRawPointer(aBase)
        let wRaw = UnsafeMutableRawPointer(wBase)
        let stride = MemoryLayout<Float>.stride
        var j = 0
        while j < vectorEnd {
            deltaRaw.storeBytes(of: SIMD8<Float>(repeating: 0), toByteOffset: j * stride, as: SIMD8<Float>.self)
            j += lanes
        }
        for k in 0..<bRow.count {
            let factor = SIMD8<Float>(repeating: bRow[k])
            let rowOffset = k * columns
            j = 0
            while j < vectorEnd {
                let current = deltaRaw.loadUnaligned(fromByteOffset: j * stride, as: SIMD8<Float>.self)
                let product = factor * aRaw.loadUnaligned(fromByteOffset: (rowOffset + j) * stride, as: SIMD8<Float>.self)
                deltaRaw.storeBytes(of: current + product, toByteOffset: j * stride, as: SIMD8<Float>.self)
                j += lanes
            }
        }
        j = 0
        while j < vectorEnd {
            let current = wRaw.loadUnaligned(fromByteOffset: j * stride, as: SIMD8<Float>.self)
            let scaled = deltaRaw.loadUnaligned(fromByteOffset: j * stride, as: SIMD8<Float>.self) * scaleVector
            wRaw.storeBytes(of: current + scaled, toByteOffset: j * stride, as: SIMD8<Float>.self)
            j += lanes
        }
        for column in vectorEnd..<columns {
            mergeElement(w, column: column, a: a, bRow: bRow, scale: scale)
        }
    }

    static func mergeRowScalar(
        _ w: UnsafeMutableBufferPointer<Float>,
        a: UnsafeBufferPointer<Float>, bRow: UnsafeBufferPointer<Float>, scale: Float
    ) {
        for column in 0..<w.count {
            mergeElement(w, column: column, a: a, bRow: bRow, scale: scale)
        }
    }

    @inline(__always)
    private static func mergeElement(_ w: UnsafeMutableBufferPointer<Float>, column: Int, a: UnsafeBufferPointer<Float>, bRow: UnsafeBufferPointer<Float>, scale: Float) {
        let columns = w.count
        var sum: Float = 0
        for k in 0..<bRow.count {
            let product = bRow[k] * a[k * columns + column]
            sum = sum + product
        }
        let scaled = sum * scale
        w[column] = w[column] + scaled
    }
}
