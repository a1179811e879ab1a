import MPTCLI
import MPTCore
import MPTFormats
import MPTGraph
@testable import MPTQuant
@testable import MPTReference
import Testing

/// Weights read in place (`StoredMatrix` + the decoding kernels) against decoding the whole
/// tensor (`Dequantizer.floats`) and multiplying it with the float kernel, for every stored
/// encoding the forward pass reads. The decoding kernel sums in the float kernel's order, so the
/// tolerance is zero: the products must be bit-identical. Against the scalar twin (decoded with
/// the scalar decoders, summed in plain order) the tolerance is 1e-5 × Σ|aᵢ·bᵢ|.
@Suite("In-place weights")
struct InPlaceWeightTests {
    enum Encoding: String, CaseIterable, Sendable {
        case bf16, f16, f32, nf4, nf4Nested, int8, q8_0, q4_0
    }

    /// A view over `bytes` in a heap storage.
    static func view(_ bytes: [UInt8], _ dtype: DType, _ shape: [Int]) throws -> TensorView {
        try TensorView(storage: ByteStorage(copying: bytes, origin: "test"), dtype: dtype, shape: Shape(checking: shape), byteOffset: 0)
    }

    static func components(_ list: [BitsAndBytesComponent]) throws -> [String: TensorView] {
        var views: [String: TensorView] = [:]
        for component in list { views[component.name] = try view(component.bytes, component.dtype, component.shape) }
        return views
    }

    /// `values` (`rows × columns`) stored in `encoding`.
    static func source(_ values: [Float], rows: Int, columns: Int, _ encoding: Encoding) throws -> TensorSource {
        let shape = [rows, columns]
        switch encoding {
        case .f32:
            return .dense(try view(values.flatMap { withUnsafeBytes(of: $0.bitPattern.littleEndian, Array.init) }, .f32, shape))
        case .bf16, .f16:
            var halves = [UInt16](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { source in
                halves.withUnsafeMutableBufferPointer { target in
                    if encoding == .f16 { HalfConversion.convertFloatToF16(source, into: target) } else { HalfConversion.convertFloatToBF16(source, into: target) }
                }
            }
            return .dense(try view(halves.flatMap { withUnsafeBytes(of: $0.littleEndian, Array.init) }, encoding == .f16 ? .f16 : .bf16, shape))
        case .nf4, .nf4Nested:
            var options = NF4Options()
            options.doubleQuantization = encoding == .nf4Nested
            let tensor = try BitsAndBytesNF4.quantize(values, shape: shape, options: options)
            return .quantized(QuantizedTensor(format: "NF4", shape: shape, components: try components(BitsAndBytesNF4.components(of: tensor))))
        case .int8:
            let tensor = try BitsAndBytesInt8.quantize(values, rows: rows, columns: columns)
            return .quantized(QuantizedTensor(format: "INT8", shape: shape, components: try components(BitsAndBytesInt8.components(of: tensor))))
        case .q8_0, .q4_0:
            let type: GGMLType = encoding == .q8_0 ? .q8_0 : .q4_0
            let bytes = try GGMLQuantizer.quantize(values, as: type)
            return .quantized(QuantizedTensor(format: type.description, shape: shape, components: ["blocks": try view(bytes, .u8, [bytes.count])]))
        }
    }

    /// Shapes: few-rows path (1, 3 rows), panel path with partial panels and tiles, depth over
    /// two reduction blocks, and a product big enough to be split over both workers.
    static let shapes: [(rows: Int, columns: Int, depth: Int)] = [(1, 40, 1088), (3, 13, 96), (17, 13, 1088), (37, 130, 1088)]

    @Test(arguments: Encoding.allCases)
    func inPlaceProductEqualsDecodeThenMultiply(encoding: Encoding) throws {
        for (rows, columns, depth) in Self.shapes {
            let source = try Self.source(noise(columns * depth, seed: 11), rows: columns, columns: depth, encoding)
            let matrix = try StoredMatrix(source, rows: columns, columns: depth)
            let decoded = try Dequantizer.floats(source)
            #expect(matrix.floats() == decoded, "\(encoding) decode")
            #expect(matrix.floats(kernel: .scalar) == decoded, "\(encoding) scalar decode")
            #expect((matrix.float32Rows != nil) == (encoding == .f32), "\(encoding) read in place")
            let a = noise(rows * depth, seed: 12), bias = noise(columns, seed: 13)
            let expected = try MatrixMultiply.linear(a, rows: rows, weight: decoded, outputSize: columns, bias: bias, threads: 2)
            var actual = [Float](repeating: .nan, count: rows * columns)
            var twin = [Float](repeating: .nan, count: rows * columns)
            let scratch = DecodeScratch(depth: depth, threads: 2)
            try a.withUnsafeBufferPointer { input in
                try bias.withUnsafeBufferPointer { biasBuffer in
                    let finding = try actual.withUnsafeMutableBufferPointer { output in
                        try MatrixMultiply.multiplyTransposed(
                            rows: rows, columns: columns, depth: depth, a: input.baseAddress!, lda: depth, b: matrix,
                            bias: biasBuffer.baseAddress, c: output.baseAddress!, ldc: columns, threads: 2, scratch: scratch)
                    }
                    #expect(finding == nil)
                    try twin.withUnsafeMutableBufferPointer { output in
                        try MatrixMultiply.multiplyTransposedStoredScalar(
                            rows: rows, columns: columns, depth: depth, a: input.baseAddress!, lda: depth, b: matrix,
                            bias: biasBuffer.baseAddress, c: output.baseAddress!, ldc: columns)
                    }
                }
            }
            #expect(actual == expected, "\(encoding) \(rows)×\(columns)×\(depth)")
            for s in 0..<rows {
                for o in 0..<columns {
                    var magnitude: Float = abs(bias[o])
                    for i in 0..<depth { magnitude += abs(a[s * depth + i] * decoded[o * depth + i]) }
                    #expect(abs(actual[s * columns + o] - twin[s * columns + o]) <= 1e-5 * magnitude, "\(encoding) twin")
                }
            }
        }
    }

    /// A NaN or infinity among the stored weights is reported with its row-major index, on the
    /// decoding path and the in-place float32 path, on both the panel and few-rows kernels.
    @Test(arguments: [Encoding.bf16, .f32])
    func productReportsTheFirstNonFiniteWeight(encoding: Encoding) throws {
        let columns = 20, depth = 640
        var values = noise(columns * depth, seed: 21)
        values[7 * depth + 600] = .infinity
        values[9 * depth + 3] = .nan
        let matrix = try StoredMatrix(try Self.source(values, rows: columns, columns: depth, encoding), rows: columns, columns: depth)
        for rows in [2, 20] {
            let a = noise(rows * depth, seed: 22)
            var output = [Float](repeating: 0, count: rows * columns)
            let finding = try a.withUnsafeBufferPointer { input in
                try output.withUnsafeMutableBufferPointer { c in
                    try MatrixMultiply.multiplyTransposed(
                        rows: rows, columns: columns, depth: depth, a: input.baseAddress!, lda: depth, b: matrix, bias: nil,
                        c: c.baseAddress!, ldc: columns, threads: 2, scratch: DecodeScratch(depth: depth, threads: 2))
                }
            }
            #expect(finding?.index == 7 * depth + 600, "\(encoding) \(rows) rows")
            #expect(finding?.value == .infinity)
        }
        #expect(matrix.firstNonFinite()?.index == 7 * depth + 600)
    }

    /// Sizes that do not match the stored bytes are refused when the matrix is made.
    @Test func mismatchedSizesAreRefused() throws {
        let source = try Self.source(noise(64 * 4, seed: 31), rows: 4, columns: 64, .q8_0)
        #expect(throws: StoredMatrix.Failure.elementCount(expected: 4 * 65, actual: 4 * 64)) { _ = try StoredMatrix(source, rows: 4, columns: 65) }
        #expect(throws: StoredMatrix.Failure.partialBlockRow(type: "Q8_0", columns: 16, blockSize: 32)) { _ = try StoredMatrix(source, rows: 16, columns: 16) }
        let matrix = try StoredMatrix(source, rows: 8, columns: 32)  // same blocks, rows of one block
        #expect(matrix.floats() == (try Dequantizer.floats(source)))
    }

    /// Decodes every weight whole (the provider protocol's default `matrix`), as before weights
    /// were read in place.
    struct DecodingProvider: WeightProvider {
        let inner: ModelWeightProvider
        func floats(_ tensor: CanonicalTensor) throws -> [Float] { try inner.floats(tensor) }
    }

    /// The whole forward pass over bf16 and f16 fixtures: weights read in place give the logits
    /// of weights decoded whole, bit for bit, and gathering embedding rows changes nothing.
    @Test(arguments: ["mpt-6h-clip-bf16", "mpt-4h-f16-bin", "mpt-4h-bias-qkln-f32"])
    func forwardInPlaceEqualsDecodedForward(model name: String) throws {
        let model = try ModelLoading.model(at: TestPaths.model(name))
        let tokens = TokenSequence.defaultTokens(vocab: model.config.vocabSize, maxLength: 20)
        let inPlace = try MPTForward(config: model.config, weights: ModelWeightProvider(model: model)).logits(tokens: tokens)
        let decoded = try MPTForward(config: model.config, weights: DecodingProvider(inner: ModelWeightProvider(model: model))).logits(tokens: tokens)
        #expect(inPlace == decoded)
    }
}
