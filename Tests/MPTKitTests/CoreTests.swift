import Foundation
import Testing
@testable import MPTCore

@Suite struct ShapeTests {
    @Test func elementAndByteCounts() throws {
        let shape = try Shape(checking: [Int64(3), 4, 5])
        #expect(shape.elementCount == 60)
        #expect(try shape.byteCount(of: .bf16) == 120)
        #expect(shape.contiguousStrides == [20, 5, 1])
    }

    @Test func rejectsNegativeAndOverflowingDimensions() {
        #expect(throws: CoreError.invalidDimension(-1)) { try Shape(checking: [Int64(2), -1]) }
        #expect(throws: CoreError.self) { try Shape(checking: [Int64(1) << 32, Int64(1) << 32, 2]) }
        let large = try? Shape(checking: [Int64(1) << 61, 2])
        #expect(large != nil)
        #expect(throws: CoreError.self) { try large?.byteCount(of: .f64) }
    }
}

@Suite struct ByteCursorTests {
    @Test func readsLittleAndBigEndian() throws {
        let storage = ByteStorage(copying: [0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08], origin: "test")
        var cursor = try ByteCursor(storage)
        #expect(try cursor.readUInt16LE() == 0x0201)
        #expect(try cursor.readUInt16BE() == 0x0304)
        #expect(try cursor.readUInt32LE() == 0x0807_0605)
        #expect(cursor.isAtEnd)
    }

    @Test func throwsOnShortReads() throws {
        let storage = ByteStorage(copying: [0x01, 0x02, 0x03], origin: "test")
        var cursor = try ByteCursor(storage)
        #expect(throws: CoreError.truncated(offset: 0, needed: 4, available: 3)) { try cursor.readUInt32LE() }
        #expect(throws: CoreError.self) { try cursor.readBytes(Int.max) }
        #expect(throws: CoreError.self) { try cursor.readBytes(-1) }
        let empty = ByteStorage(copying: [UInt8](), origin: "empty")
        var emptyCursor = try ByteCursor(empty)
        #expect(throws: CoreError.self) { try emptyCursor.readUInt8() }
    }
}

@Suite struct TensorViewTests {
    @Test func rejectsViewsPastTheStorage() {
        let storage = ByteStorage(copying: [UInt8](repeating: 0, count: 16), origin: "test")
        #expect(throws: CoreError.self) { try TensorView(storage: storage, dtype: .f32, shape: try Shape(2, 3), byteOffset: 0) }
        #expect(throws: CoreError.self) {
            try TensorView(storage: storage, dtype: .f32, shape: try Shape(2, 2), byteOffset: 0, strides: [4, 1])
        }
    }

    @Test func gathersStridedViews() throws {
        let values: [Float] = [0, 1, 2, 3, 4, 5]
        let storage = values.withUnsafeBytes { ByteStorage(copying: Array($0), origin: "test") }
        // A transposed view of a [2, 3] matrix.
        let transposed = try TensorView(storage: storage, dtype: .f32, shape: try Shape(3, 2), byteOffset: 0, strides: [1, 3])
        #expect(!transposed.isContiguous)
        #expect(try transposed.floats() == [0, 3, 1, 4, 2, 5])
    }

    @Test func mapsFilesReadOnly() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let path = directory + "/bytes.bin"
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: path))
        let storage = try ByteStorage(mappingFileAt: path)
        #expect(Array(storage.bytes) == [1, 2, 3])
        #expect(throws: CoreError.self) { try ByteStorage(mappingFileAt: directory + "/missing") }
        #expect(throws: CoreError.self) { try ByteStorage(mappingFileAt: directory) }
    }
}

@Suite struct HalfConversionTests {
    /// Every one of the 65,536 binary16 patterns: SIMD path equals the standard library bit for bit.
    @Test func f16ToFloatMatchesScalarForEveryPattern() {
        let halves = (0...UInt16.max).map { $0 }
        var simd = [Float](repeating: 0, count: halves.count)
        halves.withUnsafeBufferPointer { source in
            simd.withUnsafeMutableBufferPointer { HalfConversion.convertF16ToFloat(source, into: $0) }
        }
        var mismatches = 0
        for (index, bits) in halves.enumerated() {
            let scalar = HalfConversion.floatFromF16Scalar(bits)
            if scalar.isNaN ? !simd[index].isNaN : scalar.bitPattern != simd[index].bitPattern { mismatches += 1 }
        }
        #expect(mismatches == 0)
    }

    /// Round-to-nearest-even at ties, overflow to infinity, subnormals, NaN: SIMD equals scalar.
    @Test func floatToF16MatchesScalar() {
        var inputs: [Float] = [0, -0, 1, -1, 65504, 65519.996, 65520, 1e6, -1e6, .infinity, -.infinity, .nan,
                               Float(bitPattern: 0x3380_0000), Float(bitPattern: 0x3300_0000), 5.96e-8, 6.1e-5,
                               1.0009765625, 1.00048828125, 1.00146484375, 2049, 2051]
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200_000 { inputs.append(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))) }
        for _ in 0..<200_000 { inputs.append(Float(Double(Int64(bitPattern: generator.next()) % 1_000_000) / 977.0)) }
        var simd = [UInt16](repeating: 0, count: inputs.count)
        _ = inputs.withUnsafeBufferPointer { source in
            simd.withUnsafeMutableBufferPointer { HalfConversion.convertFloatToF16(source, into: $0) }
        }
        var mismatches = 0
        for (index, value) in inputs.enumerated() {
            let scalar = HalfConversion.f16FromFloatScalar(value)
            if value.isNaN {
                if (simd[index] & 0x7C00) != 0x7C00 || (simd[index] & 0x03FF) == 0 { mismatches += 1 }
            } else if scalar != simd[index] {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
    }

    @Test func reportsF16Overflow() {
        let values: [Float] = [1, 70000, -1e9, .infinity, 2, 3, 4, 5, 6, 1e5]
        var out = [UInt16](repeating: 0, count: values.count)
        let overflows = values.withUnsafeBufferPointer { source in
            out.withUnsafeMutableBufferPointer { HalfConversion.convertFloatToF16(source, into: $0) }
        }
        #expect(overflows == 3)
    }

    @Test func bf16RoundsToNearestEvenAndKeepsNaN() {
        #expect(HalfConversion.bf16FromFloatScalar(Float(bitPattern: 0x3F80_8000)) == 0x3F80)  // tie → even
        #expect(HalfConversion.bf16FromFloatScalar(Float(bitPattern: 0x3F81_8000)) == 0x3F82)  // tie → even (up)
        #expect(HalfConversion.bf16FromFloatScalar(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(HalfConversion.bf16FromFloatScalar(.nan) == 0x7FC0)
        #expect(HalfConversion.bf16FromFloatScalar(Float(bitPattern: 0x7F80_0001)) == 0x7FC0)
        var inputs: [Float] = [.nan, -.nan, .infinity, 3.4e38, -0.0]
        var generator = SplitMix64(seed: 11)
        for _ in 0..<300_000 { inputs.append(Float(bitPattern: UInt32(truncatingIfNeeded: generator.next()))) }
        var simd = [UInt16](repeating: 0, count: inputs.count)
        inputs.withUnsafeBufferPointer { source in
            simd.withUnsafeMutableBufferPointer { HalfConversion.convertFloatToBF16(source, into: $0) }
        }
        let mismatches = zip(inputs, simd).filter { HalfConversion.bf16FromFloatScalar($0) != $1 }.count
        #expect(mismatches == 0)
        var back = [Float](repeating: 0, count: simd.count)
        simd.withUnsafeBufferPointer { source in back.withUnsafeMutableBufferPointer { HalfConversion.convertBF16ToFloat(source, into: $0) } }
        let roundTripMismatches = zip(simd, back).filter { HalfConversion.floatFromBF16Scalar($0).bitPattern != $1.bitPattern }.count
        #expect(roundTripMismatches == 0)
    }
}

/// A small deterministic generator for test inputs.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
