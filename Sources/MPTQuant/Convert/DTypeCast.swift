import MPTCore
import MPTFormats
import MPTGraph

/// Output tensors that store a dense or computed weight in another float dtype (round-to-nearest-even), or
/// copy it byte for byte when the dtype already matches.
enum DTypeCast {
    /// An output tensor writing `view` as `target`, checking for NaN/Inf and f16 overflow.
    /// Those errors name the input file (`view.storage.origin`), not the output being written.
    static func tensor(name: String, view: TensorView, target: DType, allowNonfinite: Bool, threads: Int = 2) throws -> OutputTensor {
        let shape = view.shape
        let source = view.storage.origin
        if view.dtype == target && view.isContiguous {
            return OutputTensor(name: name, dtype: target, shape: shape) { sink in
                if !allowNonfinite {
                    let bad = try countNonFinite(view)
                    if bad > 0 { throw FileError(path: source, underlying: ConversionError.nonFinite(tensor: name, count: bad)) }
                }
                try view.withContiguousBytes { try sink.write($0) }
                view.storage.dropCachedPages(offset: view.byteOffset, length: view.byteCount)
            }
        }
        return OutputTensor(name: name, dtype: target, shape: shape) { sink in
            var counts = CastCounts()
            try DenseStreaming.forEachChunk(view) { chunk in
                try write(chunk, as: target, to: sink, name: name, allowNonfinite: allowNonfinite, counts: &counts, origin: source,
                          threads: threads)
            }
            try counts.check(name: name, target: target, allowNonfinite: allowNonfinite, origin: source)
        }
    }

    /// An output tensor for any non-quantized source: dense views stream as above; computed
    /// sources (LoRA merges) are computed when the writer asks for them, one tensor at a time.
    static func tensor(name: String, source: TensorSource, target: DType, allowNonfinite: Bool, threads: Int = 2) throws -> OutputTensor {
        try Dequantizer.requireUnquantized(source, name: name)
        switch source {
        case let .dense(view):
            return try tensor(name: name, view: view, target: target, allowNonfinite: allowNonfinite, threads: threads)
        case .quantized, .merged:
            let origin = source.stored.origin ?? name
            return OutputTensor(name: name, dtype: target, shape: try Shape(checking: source.shape)) { sink in
                let values = try Dequantizer.floats(source)
                var counts = CastCounts()
                try values.withUnsafeBufferPointer { chunk in
                    try write(chunk, as: target, to: sink, name: name, allowNonfinite: allowNonfinite, counts: &counts, origin: origin,
                              threads: threads)
                }
                try counts.check(name: name, target: target, allowNonfinite: allowNonfinite, origin: origin)
            }
        }
    }

    /// NaN/Inf values seen and f16 overflows made while casting one tensor.
    struct CastCounts {
        var nonFinite = 0
        var overflows = 0

        /// Throws when a cast overflowed; the error names the input file `origin`.
        func check(name: String, target: DType, allowNonfinite: Bool, origin: String) throws {
            if overflows > 0 && !allowNonfinite {
                throw FileError(path: origin, underlying: ConversionError.overflow(tensor: name, count: overflows, dtype: target.rawValue))
            }
        }
    }

    /// Casts one chunk of values to `target` and writes it, counting NaN/Inf and f16 overflows
    /// on `threads` threads straight into the output buffer.
    static func write(_ chunk: UnsafeBufferPointer<Float>, as target: DType, to sink: TensorSink, name: String,
                      allowNonfinite: Bool, counts: inout CastCounts, origin: String, threads: Int = 2) throws {
        switch target {
        case .f32:
            if !allowNonfinite { counts.nonFinite += countNonFinite(chunk) }
            try sink.write(UnsafeRawBufferPointer(chunk))
        case .f16, .bf16:
            var added = CastCounts()
            try sink.write(byteCount: chunk.count * 2, alignment: 2) { bytes, raw in
                let values = UnsafeBufferPointer(rebasing: chunk[(bytes.lowerBound / 2)..<(bytes.upperBound / 2)])
                let pieceCounts: CastCounts
                if let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<UInt16>.alignment == 0 {
                    pieceCounts = try raw.withMemoryRebound(to: UInt16.self) { halves in
                        try ParallelCast.narrow(values, into: halves, to: target, threads: threads)
                    }
                } else {
                    // Safetensors data offsets need no alignment: after an odd-sized tensor (an
                    // NF4 quant-state blob) the output position is odd, so narrow into an aligned
                    // buffer and copy its bytes.
                    var halves = [UInt16](repeating: 0, count: values.count)
                    pieceCounts = try halves.withUnsafeMutableBufferPointer { try ParallelCast.narrow(values, into: $0, to: target, threads: threads) }
                    halves.withUnsafeBytes { raw.copyMemory(from: $0) }
                }
                added.nonFinite += pieceCounts.nonFinite
                added.overflows += pieceCounts.overflows
            }
            if !allowNonfinite { counts.nonFinite += added.nonFinite }
            counts.overflows += added.overflows
        default:
            throw ConversionError.unsupported("cannot cast to \(target)")
        }
        if counts.nonFinite > 0 { throw FileError(path: origin, underlying: ConversionError.nonFinite(tensor: name, count: counts.nonFinite)) }
    }

    /// `values` rounded to `dtype` (round-to-nearest-even) and widened back to `Float`, in place:
    /// the array is consumed and rewritten through one small half-precision scratch buffer, so a
    /// weight costs no extra full-size arrays (two used to be allocated and zero-filled per call).
    static func rounded(_ values: consuming [Float], to dtype: DType) -> [Float] {
        guard dtype == .f16 || dtype == .bf16 else { return values }
        let chunkLength = 16_384
        var halves = [UInt16](repeating: 0, count: min(chunkLength, values.count))
        values.withUnsafeMutableBufferPointer { floats in
            halves.withUnsafeMutableBufferPointer { scratch in
                var start = 0
                while start < floats.count {
                    let end = min(start + chunkLength, floats.count)
                    roundInPlace(UnsafeMutableBufferPointer(rebasing: floats[start..<end]), to: dtype, scratch: scratch)
                    start = end
                }
            }
        }
        return values
    }

    /// Rounds `values` to `dtype` (`.f16` or `.bf16`, nearest-even) and widens them back, in
    /// place, through `scratch` (at least `values.count` halves).
    static func roundInPlace(_ values: UnsafeMutableBufferPointer<Float>, to dtype: DType, scratch: UnsafeMutableBufferPointer<UInt16>) {
        let narrowed = UnsafeMutableBufferPointer(rebasing: scratch[0..<values.count])
        if dtype == .f16 {
            HalfConversion.convertFloatToF16(UnsafeBufferPointer(values), into: narrowed)
            HalfConversion.convertF16ToFloat(UnsafeBufferPointer(narrowed), into: values)
        } else {
            HalfConversion.convertFloatToBF16(UnsafeBufferPointer(values), into: narrowed)
            HalfConversion.convertBF16ToFloat(UnsafeBufferPointer(narrowed), into: values)
        }
    }

    /// NaN/Inf values in a view (streamed).
    static func countNonFinite(_ view: TensorView) throws -> Int {
        var count = 0
        try DenseStreaming.forEachChunk(view) { chunk in count += countNonFinite(chunk) }
        return count
    }

    /// NaN/Inf values in a chunk: magnitude bits at or above +inf's, counted with arithmetic only
    /// (`magnitude + 2²³` reaches the top bit exactly then), a loop LLVM vectorizes; compare
    /// forms compiled to a scalar branch per element. Kept out of line for the same reason.
    @inline(never)
    static func countNonFinite(_ chunk: UnsafeBufferPointer<Float>) -> Int {
        guard let base = chunk.baseAddress else { return 0 }
        var count = 0
        for index in 0..<chunk.count {
            count &+= Int(atOrAbove(Float.infinity.bitPattern, magnitudeOf: base[index]))
        }
        return count
    }

    /// 1 when `value`'s magnitude bits are at least `threshold` (a positive float's bits), else 0,
    /// without a compare: adding `2³¹ − threshold` carries into the top bit exactly then.
    @inline(__always)
    static func atOrAbove(_ threshold: UInt32, magnitudeOf value: Float) -> UInt32 {
        ((value.bitPattern & 0x7FFF_FFFF) &+ (0x8000_0000 &- threshold)) &>> 31
    }
}
