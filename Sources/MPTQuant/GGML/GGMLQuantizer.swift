import MPTCore
import MPTFormats

/// Quantizes `Float` values to ggml block types and back, byte-identical to what llama-quantize
/// runs without an imatrix (`ggml_quantize_chunk`: the `quantize_row_<type>_ref` quantizers, and
/// `quantize_iq4_nl` / `quantize_iq4_xs` for the IQ4 types).
public enum GGMLQuantizer {
    /// Block types with a quantizer here.
    public static let supportedTypes: [GGMLType] = [
        .q8_0, .q4_0, .q4_1, .q5_0, .q5_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K, .iq4_NL, .iq4_XS, .iq3_XXS, .iq3_S,
    ]

    /// True when `type` can be quantized and dequantized here.
    public static func supports(_ type: GGMLType) -> Bool { format(for: type) != nil }

    static func format(for type: GGMLType) -> (any GGMLBlockFormat.Type)? {
        switch type {
        case .q8_0: return GGMLQ8_0.self
        case .q4_0: return GGMLQ4_0.self
        case .q4_1: return GGMLQ4_1.self
        case .q5_0: return GGMLQ5_0.self
        case .q5_1: return GGMLQ5_1.self
        case .q4_K: return GGMLQ4_K.self
        case .q5_K: return GGMLQ5_K.self
        case .q6_K: return GGMLQ6_K.self
        case .q2_K: return GGMLQ2_K.self
        case .q3_K: return GGMLQ3_K.self
        case .iq4_NL: return GGMLIQ4_NL.self
        case .iq4_XS: return GGMLIQ4_XS.self
        case .iq3_XXS: return GGMLIQ3_XXS.self
        case .iq3_S: return GGMLIQ3_S.self
        default: return nil
        }
    }

    /// Bytes that `elementCount` values occupy as `type` (must be a whole number of blocks).
    public static func byteCount(elementCount: Int, as type: GGMLType) throws -> Int {
        guard elementCount >= 0, elementCount % type.blockSize == 0 else {
            throw GGMLQuantError.partialBlock(type: type, count: elementCount)
        }
        let (bytes, overflow) = (elementCount / type.blockSize).multipliedReportingOverflow(by: type.typeSize)
        guard !overflow else { throw GGMLQuantError.bufferSize(what: "quantized size", expected: Int.max, actual: elementCount) }
        return bytes
    }

    /// Quantizes `values` (a whole number of blocks) into `destination`, which must be exactly
    /// `byteCount(elementCount:as:)` bytes.
    public static func quantize(
        _ values: UnsafeBufferPointer<Float>, as type: GGMLType,
        into destination: UnsafeMutableRawBufferPointer, kernel: KernelVariant = .simd
    ) throws {
        guard let format = format(for: type) else { throw GGMLQuantError.unsupportedType(type) }
        let expected = try byteCount(elementCount: values.count, as: type)
        guard destination.count == expected else {
            throw GGMLQuantError.bufferSize(what: "\(type) destination", expected: expected, actual: destination.count)
        }
        guard let source = values.baseAddress, let target = destination.baseAddress else { return }
        quantizeBlocks(format, source: source, target: target, blocks: values.count / type.blockSize, kernel: kernel)
    }

    /// Quantizes an array of a whole number of blocks.
    public static func quantize(_ values: [Float], as type: GGMLType, kernel: KernelVariant = .simd) throws -> [UInt8] {
        let count = try byteCount(elementCount: values.count, as: type)
        var bytes = [UInt8](repeating: 0, count: count)
        try values.withUnsafeBufferPointer { source in
            try bytes.withUnsafeMutableBytes { try quantize(source, as: type, into: $0, kernel: kernel) }
        }
        return bytes
    }

    /// Dequantizes whole blocks of `type` into `destination` (exactly one float per element).
    public static func dequantize(
        _ bytes: UnsafeRawBufferPointer, as type: GGMLType,
        into destination: UnsafeMutableBufferPointer<Float>, kernel: KernelVariant = .simd
    ) throws {
        guard let format = format(for: type) else { throw GGMLQuantError.unsupportedType(type) }
        guard bytes.count % type.typeSize == 0 else {
            throw GGMLQuantError.bufferSize(what: "\(type) source", expected: bytes.count / type.typeSize * type.typeSize, actual: bytes.count)
        }
        let blocks = bytes.count / type.typeSize
        let elements = blocks * type.blockSize
        guard destination.count == elements else {
            throw GGMLQuantError.bufferSize(what: "float destination", expected: elements, actual: destination.count)
        }
        guard let source = bytes.baseAddress, let target = destination.baseAddress else { return }
        for block in 0..<blocks {
            let input = source + block * type.typeSize
            let output = target + block * type.blockSize
            switch kernel {
            case .scalar: format.dequantizeBlockScalar(input, into: output)
            case .simd: format.dequantizeBlockSIMD(input, into: output)
            }
        }
    }

    /// Dequantizes an array of whole blocks.
    public static func dequantize(_ bytes: [UInt8], as type: GGMLType, kernel: KernelVariant = .simd) throws -> [Float] {
        guard supports(type) else { throw GGMLQuantError.unsupportedType(type) }
        var values = [Float](repeating: 0, count: bytes.count / type.typeSize * type.blockSize)
        try bytes.withUnsafeBytes { source in
            try values.withUnsafeMutableBufferPointer { try dequantize(source, as: type, into: $0, kernel: kernel) }
        }
        return values
    }

    static func quantizeBlocks(
        _ format: any GGMLBlockFormat.Type, source: UnsafePointer<Float>, target: UnsafeMutableRawPointer,
        blocks: Range<Int>, kernel: KernelVariant
    ) {
        let blockSize = format.type.blockSize
        let typeSize = format.type.typeSize
        if kernel == .simd {
            format.quantizeBlocksSIMD(
                source + blocks.lowerBound * blockSize, count: blocks.count, into: target + blocks.lowerBound * typeSize)
            return
        }
        for block in blocks {
            let input = source + block * blockSize
            let output = target + block * typeSize
            switch kernel {
            case .scalar: format.quantizeBlockScalar(input, into: output)
            case .simd: format.quantizeBlockSIMD(input, into: output)
            }
        }
    }

    static func quantizeBlocks(
        _ format: any GGMLBlockFormat.Type, source: UnsafePointer<Float>, target: UnsafeMutableRawPointer,
        blocks: Int, kernel: KernelVariant
    ) {
        quantizeBlocks(format, source: source, target: target, blocks: 0..<blocks, kernel: kernel)
    }
}
