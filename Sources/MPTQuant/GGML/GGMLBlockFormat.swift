import MPTCore
import MPTFormats

/// One ggml block format: quantize `blockSize` floats into `typeSize` bytes and back, each with a
/// scalar reference and a SIMD twin that must give identical bytes and floats.
///
/// The pointers must address a whole block; callers (`GGMLQuantizer`) check buffer sizes.
protocol GGMLBlockFormat: Sendable {
    static var type: GGMLType { get }
    static func quantizeBlockScalar(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer)
    static func quantizeBlockSIMD(_ values: UnsafePointer<Float>, into block: UnsafeMutableRawPointer)
    /// `quantizeBlockSIMD` on `count` consecutive blocks (formats that search several blocks at
    /// once override it; the default goes block by block).
    static func quantizeBlocksSIMD(_ values: UnsafePointer<Float>, count: Int, into blocks: UnsafeMutableRawPointer)
    static func dequantizeBlockScalar(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>)
    static func dequantizeBlockSIMD(_ block: UnsafeRawPointer, into values: UnsafeMutablePointer<Float>)
}

extension GGMLBlockFormat {
    static func quantizeBlocksSIMD(_ values: UnsafePointer<Float>, count: Int, into blocks: UnsafeMutableRawPointer) {
        for block in 0..<count {
            quantizeBlockSIMD(values + block * type.blockSize, into: blocks + block * type.typeSize)
        }
    }
}

/// Helpers shared by the block formats.
enum GGMLBlockBits {
    /// Stores `value` as little-endian binary16 (round-to-nearest-even, like `GGML_FP32_TO_FP16`).
    @inline(__always)
    static func storeHalf(_ value: Float, to block: UnsafeMutableRawPointer) {
        block.storeBytes(of: HalfConversion.f16FromFloatScalar(value).littleEndian, as: UInt16.self)
    }

    /// Loads the little-endian binary16 at the start of a block as `Float`.
    @inline(__always)
    static func loadHalf(from block: UnsafeRawPointer) -> Float {
        HalfConversion.floatFromF16Scalar(UInt16(littleEndian: block.loadUnaligned(as: UInt16.self)))
    }

    /// `1.5 × 2²³`: adding it to a float of magnitude below 2²² rounds to an integer
    /// (nearest-even) whose value sits in the low mantissa bits.
    static let roundingMagic: Float = 12_582_912

    /// Largest magnitude in 32 values (NaN lanes may or may not win; not specified). A plain loop
    /// over bit patterns (non-negative floats order like their bits) that LLVM vectorizes; generic
    /// `pointwiseMax` on `SIMD8` compiled to a call per vector.
    @inline(__always)
    static func absoluteMax32(_ values: UnsafePointer<Float>) -> Float {
        var largest: UInt32 = 0
        for index in 0..<32 {
            let magnitude = values[index].bitPattern & 0x7FFF_FFFF
            largest = largest > magnitude ? largest : magnitude
        }
        return Float(bitPattern: largest)
    }

    /// Index of the first of 32 values whose magnitude equals `magnitude` (which must occur).
    /// Branch-free so LLVM vectorizes it: each lane's candidate is its index when it matches and
    /// index + 32 when not (`(x ^ m) - 1` has its top bit set exactly when `x == m`), and the
    /// smallest candidate wins.
    @inline(__always)
    static func firstIndex32(ofMagnitude magnitude: Float, in values: UnsafePointer<Float>) -> Int {
        let target = magnitude.bitPattern
        var first: UInt32 = 64
        for index in 0..<32 {
            let difference = (values[index].bitPattern & 0x7FFF_FFFF) ^ target
            let matches = (difference &- 1) &>> 31
            let candidate = UInt32(truncatingIfNeeded: index) | ((1 &- matches) &<< 5)
            first = first < candidate ? first : candidate
        }
        return Int(first & 31)
    }

    @inline(__always)
    static func load8(_ values: UnsafePointer<Float>, _ index: Int) -> SIMD8<Float> {
        UnsafeRawPointer(values + index).loadUnaligned(as: SIMD8<Float>.self)
    }

    /// The low bytes of eight levels (0…255) into `destination[0..<8]`, lane by lane.
    @inline(__always)
    static func storeBytes8(_ levels: SIMD8<Int32>, _ destination: UnsafeMutablePointer<UInt8>) {
        for lane in 0..<8 { destination[lane] = UInt8(truncatingIfNeeded: levels[lane]) }
    }

    @inline(__always)
    static func store8(_ lanes: SIMD8<Float>, _ values: UnsafeMutablePointer<Float>, _ index: Int) {
        UnsafeMutableRawPointer(values + index).storeBytes(of: lanes, as: SIMD8<Float>.self)
    }
}

extension UInt32 {
    @inline(__always) var asInt32: Int32 { Int32(bitPattern: self) }
}
