/// The inner loops of NF4 quantization: block absmax and code assignment with nibble packing.
/// Each SIMD kernel has a scalar twin that gives identical bytes (tests compare them).
enum NF4Kernels {
    /// Smallest divisor bitsandbytes allows for a block's absmax (`clamp(min=1e-38)`).
    static let absmaxFloor: Float = 1e-38

    // MARK: absmax

    /// `max(|x|)` over `values`, computed on the IEEE bit patterns with the sign cleared (their
    /// integer order is the order of the magnitudes). A NaN wins, as it does in `torch.max`.
    static func absmaxScalar(_ values: UnsafePointer<Float>, count: Int) -> Float {
        var largest: UInt32 = 0
        for index in 0..<count {
            largest = max(largest, values[index].bitPattern & 0x7FFF_FFFF)
        }
        return Float(bitPattern: largest)
    }

    /// SIMD twin of `absmaxScalar`.
    static func absmaxSIMD(_ values: UnsafePointer<Float>, count: Int) -> Float {
        let magnitudeMask = SIMD8<Int32>(repeating: 0x7FFF_FFFF)
        var first = SIMD8<Int32>(repeating: 0)
        var second = SIMD8<Int32>(repeating: 0)
        var index = 0
        let raw = UnsafeRawPointer(values)
        while index + 16 <= count {
            let low = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD8<Int32>.self) & magnitudeMask
            let high = raw.loadUnaligned(fromByteOffset: index * 4 + 32, as: SIMD8<Int32>.self) & magnitudeMask
            first = first.replacing(with: low, where: low .> first)
            second = second.replacing(with: high, where: high .> second)
            index += 16
        }
        first = first.replacing(with: second, where: second .> first)
        var largest = UInt32(truncatingIfNeeded: first.max())
        while index < count {
            largest = max(largest, values[index].bitPattern & 0x7FFF_FFFF)
            index += 1
        }
        return Float(bitPattern: largest)
    }

    // MARK: codes

    /// The NF4 code of an already-scaled value: the number of thresholds strictly below it.
    @inline(__always)
    static func code(of scaled: Float, thresholds: UnsafePointer<Float>) -> UInt8 {
        var code: UInt8 = 0
        for index in 0..<15 where scaled > thresholds[index] { code &+= 1 }
        return code
    }

    /// Codes for `count` values starting at an even element index, scaled by multiplication
    /// (`x * reciprocal`, full blocks) or division (`x / divisor`, the final partial block), packed
    /// two per byte, first element in the high nibble. An odd trailing value gets a zero-code low nibble.
    static func encodeScalar(
        _ values: UnsafePointer<Float>, count: Int, scale: NF4Scale, thresholds: UnsafePointer<Float>,
        into packed: UnsafeMutablePointer<UInt8>
    ) {
        func scaled(_ value: Float) -> Float {
            switch scale {
            case let .multiply(reciprocal): return value * reciprocal
            case let .divide(divisor): return value / divisor
            }
        }
        var pair = 0
        while pair * 2 < count {
            let high = code(of: scaled(values[pair * 2]), thresholds: thresholds)
            let low = pair * 2 + 1 < count
                ? code(of: scaled(values[pair * 2 + 1]), thresholds: thresholds) : BitsAndBytesCodebook.nf4ZeroCode
            packed[pair] = high << 4 | low
            pair += 1
        }
    }

    /// SIMD twin of `encodeScalar` for the multiply case: 16 values → 8 bytes per step.
    static func encodeSIMD(
        _ values: UnsafePointer<Float>, count: Int, reciprocal: Float, thresholds: UnsafePointer<Float>,
        into packed: UnsafeMutablePointer<UInt8>
    ) {
        var index = 0
        let raw = UnsafeRawPointer(values)
        let zero = SIMD16<Int32>(repeating: 0)
        while index + 16 <= count {
            let scaled = raw.loadUnaligned(fromByteOffset: index * 4, as: SIMD16<Float>.self) * reciprocal
            // A true lane of a comparison mask is all ones (-1): subtracting the masks counts them.
            var codes = zero
            for threshold in 0..<15 {
                codes &-= unsafeBitCast(scaled .> thresholds[threshold], to: SIMD16<Int32>.self)
            }
            let bytes = (codes.evenHalf &<< 4) | codes.oddHalf
            UnsafeMutableRawPointer(packed + index / 2).storeBytes(
                of: SIMD8<UInt8>(truncatingIfNeeded: bytes), as: SIMD8<UInt8>.self)
            index += 16
        }
        if index < count {
            encodeScalar(values + index, count: count - index, scale: .multiply(reciprocal),
                         thresholds: thresholds, into: packed + index / 2)
        }
    }
}

/// How a block's values are brought into [-1, 1] (bitsandbytes uses both forms).
enum NF4Scale {
    /// `x * (1 / max(absmax, 1e-38))`: every full block.
    case multiply(Float)
    /// `x / max(absmax, 1e-38)`: the final partial block.
    case divide(Float)
}
