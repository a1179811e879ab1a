import Foundation
import MPTCore

/// A bitsandbytes NF4 weight read in place: the packed nibbles (two per byte over the flattened
/// tensor, first element in the high nibble) and the block scales, plain float32 or
/// double-quantized (`dynamicSigned[code] · nested_absmax + offset`), all read from their views.
/// Values equal `BitsAndBytesNF4.dequantize` bit for bit.
struct NF4StoredRows: Sendable {
    let packed: SendablePointer<UInt8>
    let blocksize: Int
    let scales: Scales

    /// Where block `b`'s absmax comes from.
    enum Scales: Sendable {
        /// `absmax[b]`, float32 little-endian.
        case plain(SendablePointer<UInt8>)
        /// `dynamicSigned[codes[b]] · nested[b / nestedBlocksize] + offset`.
        case nested(codes: SendablePointer<UInt8>, nested: SendablePointer<UInt8>, offset: Float, nestedBlocksize: Int)
    }

    @inline(__always)
    static func loadFloat(_ base: SendablePointer<UInt8>, _ index: Int) -> Float {
        Float(bitPattern: UInt32(littleEndian: UnsafeRawPointer(base.readOnly).loadUnaligned(fromByteOffset: index &* 4, as: UInt32.self)))
    }

    /// The absmax of block `block`, computed as `NF4Absmax.floats()` does.
    @inline(__always)
    func scale(ofBlock block: Int) -> Float {
        switch scales {
        case let .plain(values):
            return Self.loadFloat(values, block)
        case let .nested(codes, nested, offset, nestedBlocksize):
            let code = Int(codes.readOnly[block])
            return BitsAndBytesCodebook.dynamicSigned[code] * Self.loadFloat(nested, block / nestedBlocksize) + offset
        }
    }

    /// Decodes flattened elements `first..<first + count`, one block-scale run at a time.
    func decode(first: Int, count: Int, into destination: UnsafeMutablePointer<Float>, kernel: KernelVariant) {
        let table = BitsAndBytesCodebook.nf4
        table.withUnsafeBufferPointer { codebook in
            guard let lookup = codebook.baseAddress else { return }
            var index = first
            let end = first &+ count
            while index < end {
                let block = index / blocksize
                let runEnd = min(end, (block &+ 1) &* blocksize)
                let scale = scale(ofBlock: block)
                var element = index
                let bytes = packed.readOnly
                if kernel == .simd {
                    // Whole bytes (an even element) as 8-byte groups: 16 values per step.
                    while element & 1 == 0, element &+ 16 <= runEnd {
                        for pair in 0..<8 {
                            let byte = bytes[element >> 1 &+ pair]
                            destination[element &- first &+ 2 &* pair] = lookup[Int(byte >> 4)] * scale
                            destination[element &- first &+ 2 &* pair &+ 1] = lookup[Int(byte & 0x0F)] * scale
                        }
                        element &+= 16
                    }
                }
                while element < runEnd {
                    let byte = bytes[element >> 1]
                    let code = element & 1 == 0 ? byte >> 4 : byte & 0x0F
                    destination[element &- first] = lookup[Int(code)] * scale
                    element &+= 1
                }
                index = runEnd
            }
        }
    }
}
