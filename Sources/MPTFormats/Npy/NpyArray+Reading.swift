import MPTCore

extension NpyArray {
    /// Largest header accepted (NumPy itself writes well under 1 KiB).
    static let maximumHeaderLength = 65_536

    /// Reads a `.npy` file (memory-mapped, validated as untrusted input). Errors are
    /// `FileError`s naming `path`, around an `NpyError` (or the `CoreError` of opening it).
    public init(contentsOf path: String) throws {
        self = try attributing(to: path) { try NpyArray(storage: try ByteStorage(mappingFileAt: path)) }
    }

    /// Parses `.npy` bytes: versions 1.0–3.0, `<f4`/`<f8`, C order, exact data length. Every
    /// problem is an `NpyError`.
    public init(storage: ByteStorage) throws {
        var cursor = try ByteCursor(storage)
        guard cursor.remaining >= 6, try cursor.readBytes(6) == [0x93, 0x4E, 0x55, 0x4D, 0x50, 0x59] else {
            throw NpyError.badMagic
        }
        guard cursor.remaining >= 4 else { throw NpyError.truncated(what: "version and header length", offset: 6) }
        let major = try cursor.readUInt8(), minor = try cursor.readUInt8()
        let headerLength: Int
        switch (major, minor) {
        case (1, 0): headerLength = Int(try cursor.readUInt16LE())
        case (2, 0), (3, 0):
            guard cursor.remaining >= 4 else { throw NpyError.truncated(what: "header length", offset: 8) }
            headerLength = Int(try cursor.readUInt32LE())
        default: throw NpyError.unsupportedVersion(major: major, minor: minor)
        }
        guard headerLength <= Self.maximumHeaderLength else { throw NpyError.badHeader("header of \(headerLength) bytes is too long") }
        guard cursor.remaining >= headerLength else { throw NpyError.truncated(what: "header of \(headerLength) bytes", offset: cursor.offset) }
        guard let header = try cursor.readUTF8(headerLength) else { throw NpyError.badHeader("header is not UTF-8") }
        let fields = try NpyHeader(parsing: header)
        guard !fields.fortranOrder else { throw NpyError.fortranOrder }
        guard let type = ElementType(rawValue: fields.descr) else { throw NpyError.unsupportedDType(fields.descr) }
        let shape: Shape
        let byteCount: Int
        do {
            shape = try Shape(checking: fields.shape)
            byteCount = try shape.byteCount(of: type == .float32 ? .f32 : .f64)
        } catch {
            throw NpyError.badHeader("shape \(fields.shape) is too large")
        }
        guard cursor.remaining == byteCount else { throw NpyError.dataSize(expected: byteCount, actual: cursor.remaining) }
        var values: [Double] = []
        values.reserveCapacity(shape.elementCount)
        for _ in 0..<shape.elementCount {
            values.append(type == .float32 ? Double(try cursor.readFloat32LE()) : try cursor.readFloat64LE())
        }
        self.init(shape: shape.dims, values: values, elementType: type)
    }
}

/// The three keys of a `.npy` header dictionary, e.g.
/// `{'descr': '<f4', 'fortran_order': False, 'shape': (16, 320), }`.
struct NpyHeader {
    var descr = ""
    var fortranOrder = false
    var shape: [Int64] = []

    init(parsing text: String) throws {
        let body = text.trimmingCharacters(in: " \n\t")
        guard body.hasPrefix("{"), body.hasSuffix("}") else { throw NpyError.badHeader("not a dictionary") }
        guard let descrValue = Self.value(of: "descr", in: body),
              let orderValue = Self.value(of: "fortran_order", in: body),
              let shapeValue = Self.value(of: "shape", in: body)
        else { throw NpyError.badHeader("missing descr, fortran_order or shape") }
        guard descrValue.count >= 2, descrValue.first == "'" || descrValue.first == "\"", descrValue.last == descrValue.first else {
            throw NpyError.badHeader("descr is not a string")
        }
        descr = String(descrValue.dropFirst().dropLast())
        switch orderValue {
        case "False": fortranOrder = false
        case "True": fortranOrder = true
        default: throw NpyError.badHeader("fortran_order is '\(orderValue)'")
        }
        guard shapeValue.first == "(", shapeValue.last == ")" else { throw NpyError.badHeader("shape is not a tuple") }
        let inner = shapeValue.dropFirst().dropLast()
        shape = try inner.split(separator: ",").compactMap { piece -> Int64? in
            let digits = piece.trimmingCharacters(in: " ")
            if digits.isEmpty { return nil }
            guard digits.count <= 18, digits.allSatisfy(\.isASCIIDigit), let value = Int64(digits) else {
                throw NpyError.badHeader("shape entry '\(digits)'")
            }
            return value
        }
        guard shape.count <= 32 else { throw NpyError.badHeader("\(shape.count) dimensions") }
    }

    /// The raw text of `'key': value` up to the next top-level comma or closing brace.
    static func value(of key: String, in body: String) -> String? {
        let characters = Array(body)
        let pattern = Array("'\(key)'")
        guard characters.count >= pattern.count else { return nil }
        var index = 0
        while index + pattern.count <= characters.count {
            if Array(characters[index..<(index + pattern.count)]) == pattern { break }
            index += 1
        }
        guard index + pattern.count <= characters.count else { return nil }
        var position = index + pattern.count
        while position < characters.count, characters[position] == " " { position += 1 }
        guard position < characters.count, characters[position] == ":" else { return nil }
        position += 1
        var depth = 0
        var result: [Character] = []
        while position < characters.count {
            let character = characters[position]
            if character == "(" { depth += 1 }
            if character == ")" { depth -= 1 }
            if depth == 0, character == "," || character == "}" { break }
            result.append(character)
            position += 1
        }
        return String(result).trimmingCharacters(in: " ")
    }
}

extension String {
    fileprivate func trimmingCharacters(in set: String) -> String {
        let skip = Set(set)
        var slice = Substring(self)
        while let first = slice.first, skip.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, skip.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String { String(self).trimmingCharacters(in: set) }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
