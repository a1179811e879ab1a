import MPTCore

/// Settings for `BitsAndBytesNF4.quantize`.
public struct NF4Options: Sendable, Hashable {
    /// Values per absmax block: a power of two from 32 to 4096 (bitsandbytes default 64).
    public var blocksize: Int
    /// Double-quantize the absmax values (`compress_statistics=True`, the QLoRA default).
    public var doubleQuantization: Bool
    /// The dtype of the original weight, recorded as `"dtype"` in the quant_state JSON.
    public var sourceDType: DType
    /// Worker threads for the block loop.
    public var threadCount: Int
    /// The kernel twin (`.scalar` for tests).
    public var kernel: KernelVariant
    /// How torch sums the absmax values for the double-quantization offset on the host to match.
    public var torchSum: TorchFloatSum

    /// bitsandbytes defaults: blocksize 64, double quantization, float32 source, 2 threads.
    public init(
        blocksize: Int = 64, doubleQuantization: Bool = true, sourceDType: DType = .f32,
        threadCount: Int = 2, kernel: KernelVariant = .simd, torchSum: TorchFloatSum = TorchFloatSum()
    ) {
        self.blocksize = blocksize
        self.doubleQuantization = doubleQuantization
        self.sourceDType = sourceDType
        self.threadCount = threadCount
        self.kernel = kernel
        self.torchSum = torchSum
    }
}

/// Double-quantized absmax values (bitsandbytes' nested quant state).
public struct NF4NestedAbsmax: Sendable, Hashable {
    /// One 8-bit code per NF4 block (`weight.absmax`, uint8).
    public var codes: [UInt8]
    /// One float32 scale per `blocksize` codes (`weight.nested_absmax`).
    public var scales: [Float]
    /// Mean of the original absmax values, subtracted before quantizing (`nested_offset`).
    public var offset: Float
    /// Codes per nested block (bitsandbytes uses 256).
    public var blocksize: Int

    /// Builds a nested state from its parts.
    public init(codes: [UInt8], scales: [Float], offset: Float, blocksize: Int = 256) {
        self.codes = codes
        self.scales = scales
        self.offset = offset
        self.blocksize = blocksize
    }

    /// The absmax values these codes stand for: `code[q] * scale + offset` in float32.
    public func decodedAbsmax() -> [Float] {
        let decoded = DynamicBlockwise8bit.signedDynamic.dequantize(codes, absmax: scales, blocksize: blocksize)
        return decoded.map { $0 + offset }
    }
}

/// The per-block scales of an NF4 tensor: plain float32, or double-quantized.
public enum NF4Absmax: Sendable, Hashable {
    /// One float32 absmax per block (`weight.absmax`, float32).
    case plain([Float])
    /// Double-quantized absmax.
    case nested(NF4NestedAbsmax)

    /// Number of blocks described.
    public var blockCount: Int {
        switch self {
        case let .plain(values): return values.count
        case let .nested(nested): return nested.codes.count
        }
    }

    /// The float32 scales used for dequantization.
    public func floats() -> [Float] {
        switch self {
        case let .plain(values): return values
        case let .nested(nested): return nested.decodedAbsmax()
        }
    }
}

/// One weight quantized to NF4 exactly as bitsandbytes 0.50 does on CPU.
public struct NF4QuantizedTensor: Sendable, Hashable {
    /// Original shape (the quant_state `"shape"`).
    public var shape: [Int]
    /// Values per block.
    public var blocksize: Int
    /// Original dtype (the quant_state `"dtype"`).
    public var sourceDType: DType
    /// Codes, two per byte, first element in the high nibble; `(n + 1) / 2` bytes
    /// (bitsandbytes stores them as uint8 of shape `[(n + 1) / 2, 1]`).
    public var packed: [UInt8]
    /// Block scales.
    public var absmax: NF4Absmax

    /// Builds a tensor from its parts (no validation; see `BitsAndBytesNF4.tensor(fromComponents:)`).
    public init(shape: [Int], blocksize: Int, sourceDType: DType, packed: [UInt8], absmax: NF4Absmax) {
        self.shape = shape
        self.blocksize = blocksize
        self.sourceDType = sourceDType
        self.packed = packed
        self.absmax = absmax
    }

    /// Product of `shape`.
    public var elementCount: Int { shape.reduce(1, *) }
}

/// NF4 (NormalFloat4) quantization, byte-identical to bitsandbytes 0.50 `quantize_4bit(quant_type="nf4")`
/// on CPU, and its inverse.
///
/// Each block of `blocksize` values (row-major, the last block may be partial) gets
/// `absmax = max|x|`; values are scaled into [-1, 1] and take the code of the nearest NF4 value,
/// the lower one on an exact midpoint. A full all-zero block stores absmax 0; a partial block stores
/// `max(absmax, 1e-38)`.
public enum BitsAndBytesNF4 {
    /// Block sizes bitsandbytes accepts for 4-bit quantization.
    public static let allowedBlocksizes: Set<Int> = [32, 64, 128, 256, 512, 1024, 2048, 4096]

    /// Quantizes `values` (row-major, `shape`'s element count).
    public static func quantize(_ values: [Float], shape: [Int], options: NF4Options = NF4Options()) throws -> NF4QuantizedTensor {
        try values.withUnsafeBufferPointer { try quantize($0, shape: shape, options: options) }
    }

    /// Quantizes `values` (row-major, `shape`'s element count).
    public static func quantize(
        _ values: UnsafeBufferPointer<Float>, shape: [Int], options: NF4Options = NF4Options()
    ) throws -> NF4QuantizedTensor {
        let blocksize = options.blocksize
        guard allowedBlocksizes.contains(blocksize) else { throw BitsAndBytesError.invalidBlocksize(blocksize) }
        let checkedShape = try Shape(checking: shape)
        let count = checkedShape.elementCount
        guard values.count == count else {
            throw BitsAndBytesError.elementCountMismatch(expected: count, actual: values.count)
        }
        let blockCount = (count + blocksize - 1) / blocksize
        var packed = [UInt8](repeating: 0, count: (count + 1) / 2)
        var absmax = [Float](repeating: 0, count: blockCount)
        if count > 0, let source = values.baseAddress {
            try encode(UnsafeBufferPointer(start: source, count: count), startingAt: 0, packed: &packed, absmax: &absmax, options: options)
        }
        return assemble(shape: shape, packed: packed, absmax: absmax, options: options)
    }

    /// Encodes `piece`, the values of the tensor from element `start` on (a multiple of the
    /// blocksize; only the tensor's last piece may end in a partial block), into the matching
    /// bytes of `packed` and entries of `absmax`. A tensor encoded piece by piece gets the same
    /// bytes as one encoded whole.
    static func encode(
        _ piece: UnsafeBufferPointer<Float>, startingAt start: Int, packed: inout [UInt8], absmax: inout [Float], options: NF4Options
    ) throws {
        let blocksize = options.blocksize
        guard start >= 0, start % blocksize == 0, start / 2 + (piece.count + 1) / 2 <= packed.count,
              start / blocksize + (piece.count + blocksize - 1) / blocksize <= absmax.count else {
            throw BitsAndBytesError.elementCountMismatch(expected: packed.count * 2 - start, actual: piece.count)
        }
        guard let source = piece.baseAddress else { return }
        BitsAndBytesCodebook.nf4Thresholds.withUnsafeBufferPointer { thresholdBuffer in
            packed.withUnsafeMutableBufferPointer { packedBuffer in
                absmax.withUnsafeMutableBufferPointer { absmaxBuffer in
                    guard let thresholdBase = thresholdBuffer.baseAddress,
                          let packedBase = packedBuffer.baseAddress,
                          let absmaxBase = absmaxBuffer.baseAddress else { return }
                    encodeBlocks(
                        source: SendablePointer(source), count: piece.count, blocksize: blocksize,
                        thresholds: SendablePointer(thresholdBase),
                        packed: SendablePointer(packedBase + start / 2),
                        absmax: SendablePointer(absmaxBase + start / blocksize),
                        options: options)
                }
            }
        }
    }

    /// The quantized tensor from its encoded bytes and block absmax values (double-quantizing
    /// the absmax values when `options` asks).
    static func assemble(shape: [Int], packed: [UInt8], absmax: [Float], options: NF4Options) -> NF4QuantizedTensor {
        let scales: NF4Absmax
        if options.doubleQuantization {
            let offset = absmax.withUnsafeBufferPointer { options.torchSum.mean($0) }
            let centered = absmax.map { $0 - offset }
            let nestedBlocksize = 256
            let (codes, nestedScales) = DynamicBlockwise8bit.signedDynamic.quantize(centered, blocksize: nestedBlocksize)
            scales = .nested(NF4NestedAbsmax(codes: codes, scales: nestedScales, offset: offset, blocksize: nestedBlocksize))
        } else {
            scales = .plain(absmax)
        }
        return NF4QuantizedTensor(
            shape: shape, blocksize: options.blocksize, sourceDType: options.sourceDType, packed: packed, absmax: scales)
    }

    /// Runs the block loop over `options.threadCount` workers (block boundaries are even, so each
    /// worker owns whole bytes).
    private static func encodeBlocks(
        source: SendablePointer<Float>, count: Int, blocksize: Int, thresholds: SendablePointer<Float>,
        packed: SendablePointer<UInt8>, absmax: SendablePointer<Float>, options: NF4Options
    ) {
        let blockCount = (count + blocksize - 1) / blocksize
        let fullBlocks = count / blocksize
        let useSIMD = options.kernel == .simd
        forEachChunk(count: blockCount, threads: options.threadCount) { blocks in
            for block in blocks {
                let start = block * blocksize
                let length = min(blocksize, count - start)
                let values = source.readOnly + start
                let output = packed.base + start / 2
                let largest = useSIMD
                    ? NF4Kernels.absmaxSIMD(values, count: length) : NF4Kernels.absmaxScalar(values, count: length)
                if block < fullBlocks {
                    absmax.base[block] = largest
                    let reciprocal = 1 / max(largest, NF4Kernels.absmaxFloor)
                    if useSIMD {
                        NF4Kernels.encodeSIMD(values, count: length, reciprocal: reciprocal,
                                              thresholds: thresholds.readOnly, into: output)
                    } else {
                        NF4Kernels.encodeScalar(values, count: length, scale: .multiply(reciprocal),
                                                thresholds: thresholds.readOnly, into: output)
                    }
                } else {
                    let divisor = max(largest, NF4Kernels.absmaxFloor)
                    absmax.base[block] = divisor
                    NF4Kernels.encodeScalar(values, count: length, scale: .divide(divisor),
                                            thresholds: thresholds.readOnly, into: output)
                }
            }
        }
    }

    /// Float32 values back from codes: `nf4[code] * absmax[block]` (bitsandbytes' CPU dequantization).
    public static func dequantize(_ tensor: NF4QuantizedTensor) -> [Float] {
        let count = tensor.elementCount
        let scales = tensor.absmax.floats()
        let table = BitsAndBytesCodebook.nf4
        var result = [Float](repeating: 0, count: count)
        guard tensor.blocksize > 0 else { return result }
        for index in 0..<count {
            let byteIndex = index / 2
            guard byteIndex < tensor.packed.count else { break }
            let byte = tensor.packed[byteIndex]
            let code = index % 2 == 0 ? byte >> 4 : byte & 0x0F
            let block = index / tensor.blocksize
            let scale = block < scales.count ? scales[block] : 0
            result[index] = table[Int(code)] * scale
        }
        return result
    }
}
