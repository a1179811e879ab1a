/// bitsandbytes' CPU 8-bit blockwise quantization with a 256-entry code (`quantize_blockwise` on
/// CPU, `cquantize_blockwise_cpu_fp32` in bitsandbytes 0.50), used for NF4 double quantization.
///
/// Per block: `absmax = max(0, max|x|)` (NaN ignored); an all-zero block stores code 0 everywhere.
/// Otherwise `v = clamp(x * (1 / absmax), -1, 1)`, `j = Int(fma((1 + v) * 0.5, 65535, 0.5))` truncated
/// to 16 bits, and the code is `lut[j]`, where `lut[j]` counts the code midpoints
/// `(code[i] + code[i + 1]) * 0.5` strictly below `2j / 65535 - 1` (all in float32).
public struct DynamicBlockwise8bit: Sendable {
    /// The 256 code values (ascending).
    public let code: [Float]
    /// 65536-entry index table.
    let lookup: [UInt8]

    /// A quantizer for `code` (256 ascending values).
    public init(code: [Float]) {
        self.code = code
        var midpoints = [Float](repeating: 0, count: max(0, code.count - 1))
        for index in midpoints.indices { midpoints[index] = (code[index] + code[index + 1]) * 0.5 }
        var table = [UInt8](repeating: 0, count: 65536)
        var codeIndex = 0
        let last = min(255, midpoints.count)
        for entry in 0..<65536 {
            let position = Float(entry)
            let value = (position + position) / 65535 - 1
            while codeIndex < last, value > midpoints[codeIndex] { codeIndex += 1 }
            table[entry] = UInt8(truncatingIfNeeded: codeIndex)
        }
        lookup = table
    }

    /// The quantizer for bitsandbytes' signed dynamic map.
    public static let signedDynamic = DynamicBlockwise8bit(code: BitsAndBytesCodebook.dynamicSigned)

    /// Quantizes `values` in blocks of `blocksize`: one code per value and one absmax per block.
    public func quantize(_ values: [Float], blocksize: Int) -> (codes: [UInt8], absmax: [Float]) {
        let blockCount = blocksize > 0 ? (values.count + blocksize - 1) / blocksize : 0
        var codes = [UInt8](repeating: 0, count: values.count)
        var absmax = [Float](repeating: 0, count: blockCount)
        for block in 0..<blockCount {
            let start = block * blocksize
            let end = min(values.count, start + blocksize)
            var largest = -Float.infinity
            for index in start..<end {
                let magnitude = abs(values[index])
                if magnitude > largest { largest = magnitude }
            }
            let scale = max(0, largest)
            absmax[block] = scale
            if scale == 0 { continue }
            let reciprocal = 1 / scale
            for index in start..<end {
                var normalized = values[index] * reciprocal
                if normalized < -1 { normalized = -1 } else if normalized > 1 { normalized = 1 }
                let position = Float(0.5).addingProduct((1 + normalized) * 0.5, 65535)
                codes[index] = lookup[Int(Self.truncatedLow16(position))]
            }
        }
        return (codes, absmax)
    }

    /// `code[q] * absmax[block]` for every value (bitsandbytes' CPU 8-bit dequantization).
    public func dequantize(_ codes: [UInt8], absmax: [Float], blocksize: Int) -> [Float] {
        var result = [Float](repeating: 0, count: codes.count)
        guard blocksize > 0 else { return result }
        for index in codes.indices {
            let block = index / blocksize
            let scale = block < absmax.count ? absmax[block] : 0
            result[index] = code[Int(codes[index])] * scale
        }
        return result
    }

    /// x86 `cvttss2si` then the low 16 bits: NaN and out-of-range give 0x8000_0000 → 0.
    @inline(__always)
    static func truncatedLow16(_ value: Float) -> UInt16 {
        guard value.isFinite, value >= -2_147_483_648, value < 2_147_483_648 else { return 0 }
        return UInt16(truncatingIfNeeded: Int32(value.rounded(.towardZero)))
    }
}
