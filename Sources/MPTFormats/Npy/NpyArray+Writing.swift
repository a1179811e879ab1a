import Foundation
import MPTCore

extension NpyArray {
    /// The file bytes: format 1.0, header padded with spaces and `\n` so the data starts on a
    /// 64-byte boundary (as NumPy writes it), C order, values as `elementType`.
    public func encoded() throws -> [UInt8] {
        let count = try Shape(checking: shape).elementCount
        guard count == values.count else { throw NpyError.shapeMismatch(shape: shape, count: values.count) }
        var bytes = try Self.header(shape: shape, elementType: elementType)
        bytes.reserveCapacity(bytes.count + count * elementType.byteSize)
        for value in values {
            switch elementType {
            case .float32:
                let bits = Float(value).bitPattern.littleEndian
                withUnsafeBytes(of: bits) { bytes += $0 }
            case .float64:
                let bits = value.bitPattern.littleEndian
                withUnsafeBytes(of: bits) { bytes += $0 }
            }
        }
        return bytes
    }

    /// The bytes before the data of a `.npy` of `shape` and `elementType`: format 1.0, header
    /// padded with spaces and `\n` so the data starts on a 64-byte boundary (as NumPy writes it).
    public static func header(shape: [Int], elementType: ElementType) throws -> [UInt8] {
        let shapeText = shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
        var header = "{'descr': '\(elementType.rawValue)', 'fortran_order': False, 'shape': \(shapeText), }"
        let unpadded = 10 + header.utf8.count + 1
        header += String(repeating: " ", count: (64 - unpadded % 64) % 64) + "\n"
        guard header.utf8.count <= Int(UInt16.max) else { throw NpyError.badHeader("header too long to write") }
        var bytes: [UInt8] = [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59, 1, 0]
        let length = UInt16(header.utf8.count)
        bytes += [UInt8(length & 0xFF), UInt8(length >> 8)]
        bytes += Array(header.utf8)
        return bytes
    }

    /// Writes `encoded()` to `path` (replacing it).
    public func write(to path: String) throws {
        let bytes = try encoded()
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw CoreError.writeFailed(path: path, reason: "\(error.localizedDescription)")
        }
    }
}
