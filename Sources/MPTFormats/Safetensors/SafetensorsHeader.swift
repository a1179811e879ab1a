import MPTCore

/// One tensor entry of a safetensors header.
public struct SafetensorsEntry: Sendable, Equatable {
    public var name: String
    public var dtype: DType
    public var shape: Shape
    /// Byte range relative to the start of the data section.
    public var dataStart: Int
    public var dataEnd: Int
}

/// A parsed and validated safetensors header.
public struct SafetensorsHeader: Sendable {
    /// Headers larger than this are refused (the Rust crate's `MAX_HEADER_SIZE`).
    public static let maxHeaderBytes = 100_000_000

    /// Entries in file (JSON) order.
    public var entries: [SafetensorsEntry]
    /// `__metadata__`, string to string.
    public var metadata: [String: String]
    /// Absolute offset of the data section (8 + header length).
    public var dataOffset: Int

    /// Parses and validates the header of a complete safetensors buffer.
    public init(parsing storage: ByteStorage) throws {
        guard storage.count >= 8 else { throw SafetensorsError.fileTooSmall(storage.count) }
        var cursor = try ByteCursor(storage)
        let headerLength = try cursor.readUInt64LE()
        guard headerLength <= UInt64(Self.maxHeaderBytes) else {
            throw SafetensorsError.headerTooLarge(headerLength, limit: Self.maxHeaderBytes)
        }
        let length = Int(headerLength)  // ≤ 100 MB, checked just above
        guard length <= cursor.remaining else {
            throw SafetensorsError.headerPastEnd(headerLength: headerLength, fileSize: storage.count)
        }
        let headerBytes = try cursor.readBytes(length)
        guard String(validating: headerBytes, as: UTF8.self) != nil else { throw SafetensorsError.headerNotUTF8 }
        let json: JSONValue
        do {
            json = try JSONParser.parse(headerBytes)
        } catch {
            throw SafetensorsError.headerNotJSON(String(describing: error))
        }
        guard let members = json.objectMembers else { throw SafetensorsError.headerNotObject(json.typeName) }

        var entries: [SafetensorsEntry] = []
        var metadata: [String: String] = [:]
        for (key, value) in members {
            if key == "__metadata__" {
                metadata = try Self.parseMetadata(value)
            } else {
                entries.append(try Self.parseEntry(name: key, value))
            }
        }
        self.entries = entries
        self.metadata = metadata
        self.dataOffset = 8 + length
        try validateLayout(bufferSize: storage.count)
    }

    private static func parseMetadata(_ value: JSONValue) throws -> [String: String] {
        if value.isNull { return [:] }
        guard let members = value.objectMembers else { throw SafetensorsError.badMetadata("must be an object, found \(value.typeName)") }
        var result: [String: String] = [:]
        for (key, item) in members {
            guard let text = item.stringValue else {
                throw SafetensorsError.badMetadata("value for '\(key)' must be a string, found \(item.typeName)")
            }
            result[key] = text
        }
        return result
    }

    private static func parseEntry(name: String, _ value: JSONValue) throws -> SafetensorsEntry {
        guard let members = value.objectMembers else {
            throw SafetensorsError.badTensorEntry(name: name, problem: "entry must be an object, found \(value.typeName)")
        }
        for (key, _) in members where !["dtype", "shape", "data_offsets"].contains(key) {
            throw SafetensorsError.badTensorEntry(name: name, problem: "unknown field '\(key)'")
        }
        guard let dtypeName = value["dtype"]?.stringValue else {
            throw SafetensorsError.badTensorEntry(name: name, problem: "missing or non-string 'dtype'")
        }
        guard let dtype = DType(safetensorsName: dtypeName) else { throw SafetensorsError.unknownDType(name: name, dtype: dtypeName) }
        guard let dims = value["shape"]?.arrayValue else {
            throw SafetensorsError.badTensorEntry(name: name, problem: "missing or non-array 'shape'")
        }
        var dimensions: [Int64] = []
        for dim in dims {
            guard let number = dim.int64Value else {
                throw SafetensorsError.badShape(name: name, problem: "dimension \(JSONWriter.compact(dim)) is not an integer")
            }
            guard number >= 0 else { throw SafetensorsError.badShape(name: name, problem: "negative dimension \(number)") }
            dimensions.append(number)
        }
        let shape: Shape
        do {
            shape = try Shape(checking: dimensions)
        } catch {
            throw SafetensorsError.badShape(name: name, problem: "\(dimensions) overflows the element count")
        }
        guard let offsets = value["data_offsets"]?.arrayValue, offsets.count == 2,
              let start = offsets[0].intValue, let end = offsets[1].intValue, start >= 0, end >= 0
        else {
            throw SafetensorsError.badTensorEntry(name: name, problem: "data_offsets must be two non-negative integers")
        }
        return SafetensorsEntry(name: name, dtype: dtype, shape: shape, dataStart: start, dataEnd: end)
    }

    /// The Rust crate's `validate`: sorted by offset, contiguous from 0, sizes matching, ending at the buffer end.
    private func validateLayout(bufferSize: Int) throws {
        let ordered = entries.sorted { ($0.dataStart, $0.dataEnd, $0.name) < ($1.dataStart, $1.dataEnd, $1.name) }
        var expectedStart = 0
        for entry in ordered {
            guard entry.dataEnd >= entry.dataStart else {
                throw SafetensorsError.offsetsReversed(name: entry.name, start: entry.dataStart, end: entry.dataEnd)
            }
            guard entry.dataStart == expectedStart else {
                throw SafetensorsError.offsetsNotContiguous(name: entry.name, expectedStart: expectedStart, actualStart: entry.dataStart)
            }
            let needed: Int
            do {
                needed = try entry.shape.byteCount(of: entry.dtype)
            } catch {
                throw SafetensorsError.badShape(name: entry.name, problem: "\(entry.shape) overflows the byte count")
            }
            guard entry.dataEnd - entry.dataStart == needed else {
                throw SafetensorsError.sizeMismatch(name: entry.name, declaredBytes: entry.dataEnd - entry.dataStart, expectedBytes: needed)
            }
            expectedStart = entry.dataEnd
        }
        let (dataEnd, overflow) = dataOffset.addingReportingOverflow(expectedStart)
        guard !overflow, dataEnd == bufferSize else {
            throw SafetensorsError.trailingBytes(dataEnd: overflow ? Int.max : dataEnd, bufferSize: bufferSize)
        }
    }
}
