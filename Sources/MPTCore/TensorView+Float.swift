/// Conversion of any readable dtype to `Float`.
extension TensorView {
    /// All elements as `Float`, row-major (gathers strided views). Integer types convert exactly
    /// where `Float` can hold them; F8 types decode per the OCP FP8 spec.
    public func floats() throws -> [Float] {
        var result = [Float](repeating: 0, count: shape.elementCount)
        try result.withUnsafeMutableBufferPointer { try copyFloats(into: $0) }
        return result
    }

    /// Writes all elements as `Float` into `destination` (which must hold `elementCount` values).
    public func copyFloats(into destination: UnsafeMutableBufferPointer<Float>) throws {
        guard destination.count >= shape.elementCount else {
            throw CoreError.unsupported("destination of \(destination.count) floats for \(shape.elementCount) elements")
        }
        if !isContiguous {
            let dense = try contiguousBytes()
            let copy = ByteStorage(copying: dense, origin: storage.origin)
            let view = try TensorView(storage: copy, dtype: dtype, shape: shape, byteOffset: 0)
            try view.copyFloats(into: destination)
            return
        }
        let count = shape.elementCount
        try withContiguousBytes { raw in
            guard count > 0, let base = raw.baseAddress else { return }
            switch dtype {
            case .f32:
                UnsafeMutableRawBufferPointer(destination).copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 4))
            case .f16, .bf16:
                // Mapped files are page aligned and tensors 2-byte aligned in every format we read;
                // copy through an aligned buffer when they are not.
                if Int(bitPattern: base) % 2 == 0 {
                    let halves = UnsafeBufferPointer(start: base.assumingMemoryBound(to: UInt16.self), count: count)
                    convertHalves(halves, into: destination)
                } else {
                    var aligned = [UInt16](repeating: 0, count: count)
                    aligned.withUnsafeMutableBytes { $0.copyMemory(from: UnsafeRawBufferPointer(start: base, count: count * 2)) }
                    aligned.withUnsafeBufferPointer { convertHalves($0, into: destination) }
                }
            case .f64:
                for index in 0..<count { destination[index] = Float(base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self).littleEndianDouble) }
            case .i64:
                for index in 0..<count { destination[index] = Float(Int64(littleEndian: base.loadUnaligned(fromByteOffset: index * 8, as: Int64.self))) }
            case .i32:
                for index in 0..<count { destination[index] = Float(Int32(littleEndian: base.loadUnaligned(fromByteOffset: index * 4, as: Int32.self))) }
            case .i16:
                for index in 0..<count { destination[index] = Float(Int16(littleEndian: base.loadUnaligned(fromByteOffset: index * 2, as: Int16.self))) }
            case .i8:
                for index in 0..<count { destination[index] = Float(base.load(fromByteOffset: index, as: Int8.self)) }
            case .u8, .bool:
                for index in 0..<count { destination[index] = Float(base.load(fromByteOffset: index, as: UInt8.self)) }
            case .f8e4m3:
                for index in 0..<count { destination[index] = FP8.e4m3ToFloat(base.load(fromByteOffset: index, as: UInt8.self)) }
            case .f8e5m2:
                for index in 0..<count { destination[index] = FP8.e5m2ToFloat(base.load(fromByteOffset: index, as: UInt8.self)) }
            }
        }
    }

    /// Runs `body` directly over the mapped elements of a contiguous, 4-byte-aligned F32 view
    /// (no copy); returns `nil` without calling it for any other view.
    public func withFloat32Elements<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R? {
        guard dtype == .f32, isContiguous else { return nil }
        return try withContiguousBytes { raw -> R? in
            guard let base = raw.baseAddress, Int(bitPattern: base) % MemoryLayout<Float>.alignment == 0 else {
                return raw.isEmpty ? try body(UnsafeBufferPointer(start: nil, count: 0)) : nil
            }
            return try body(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: raw.count / 4))
        }
    }

    private func convertHalves(_ halves: UnsafeBufferPointer<UInt16>, into destination: UnsafeMutableBufferPointer<Float>) {
        #if _endian(big)
        let swapped = halves.map { UInt16(littleEndian: $0) }
        swapped.withUnsafeBufferPointer { convertHalves($0, into: destination) }
        #else
        if dtype == .f16 {
            HalfConversion.convertF16ToFloat(halves, into: destination)
        } else {
            HalfConversion.convertBF16ToFloat(halves, into: destination)
        }
        #endif
    }
}

extension UInt64 {
    /// Interprets little-endian stored bits as a `Double`.
    @inlinable var littleEndianDouble: Double { Double(bitPattern: UInt64(littleEndian: self)) }
}

/// OCP 8-bit floating point decoders (E4M3 "fn" without infinities, E5M2 IEEE-like).
public enum FP8 {
    /// Decodes an E4M3FN byte (bias 7, no infinities, `0x7F`/`0xFF` are NaN).
    public static func e4m3ToFloat(_ byte: UInt8) -> Float {
        let sign: Float = byte & 0x80 != 0 ? -1 : 1
        let exponent = Int((byte >> 3) & 0x0F)
        let mantissa = Float(byte & 0x07)
        if exponent == 0x0F && byte & 0x07 == 0x07 { return .nan }
        if exponent == 0 { return sign * mantissa / 8 * Float(sign: .plus, exponent: -6, significand: 1) }
        return sign * (1 + mantissa / 8) * Float(sign: .plus, exponent: exponent - 7, significand: 1)
    }

    /// Decodes an E5M2 byte (bias 15, IEEE infinities and NaNs).
    public static func e5m2ToFloat(_ byte: UInt8) -> Float {
        HalfConversion.floatFromF16Scalar(UInt16(byte) << 8)
    }
}
