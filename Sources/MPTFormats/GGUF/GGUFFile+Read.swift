import MPTCore

extension GGUFFile {
    /// Smallest encoding of one key/value pair: key length, value type, one-byte value.
    static let minimumKeyValueSize = 8 + 4 + 1
    /// Smallest encoding of one tensor info: name length, n_dims, type, offset.
    static let minimumTensorInfoSize = 8 + 4 + 4 + 8

    /// Maps and parses the GGUF file at `path`. Errors are tied to the path (`FileError`).
    public static func read(path: String) throws -> GGUFFile {
        try attributing(to: path) {
            try parse(ByteStorage(mappingFileAt: path))
        }
    }

    /// Parses GGUF bytes already in memory or mapped.
    public static func parse(_ storage: ByteStorage) throws -> GGUFFile {
        var cursor = try GGUFCursor(storage)
        let magicBytes = try cursor.rawBytes(4, "magic")
        guard magicBytes == magic else { throw GGUFError.badMagic(magicBytes) }
        let version = try cursor.uint32("version")
        guard version == 2 || version == 3 else { throw GGUFError.unsupportedVersion(version) }
        let rawTensorCount = try cursor.uint64("tensor count")
        let rawKeyCount = try cursor.uint64("metadata count")
        let tensorCount = try cursor.checkCount(rawTensorCount, minimumSize: minimumTensorInfoSize, "tensor count")
        let keyCount = try cursor.checkCount(rawKeyCount, minimumSize: minimumKeyValueSize, "metadata count")

        var metadata: [(key: String, value: GGUFValue)] = []
        metadata.reserveCapacity(keyCount)
        var metadataIndex: [String: Int] = [:]
        for index in 0..<keyCount {
            let key = try cursor.string("key of metadata entry \(index)")
            guard metadataIndex[key] == nil else { throw GGUFError.duplicateKey(key) }
            let typeOffset = cursor.offset
            let rawType = try cursor.uint32("value type of '\(key)'")
            guard let type = GGUFValueType(rawValue: rawType) else {
                throw GGUFError.unknownValueType(key: key, type: rawType, offset: typeOffset)
            }
            let value = try readValue(type, key: key, depth: 0, cursor: &cursor)
            metadataIndex[key] = metadata.count
            metadata.append((key, value))
        }
        let alignment = try alignment(from: metadataIndex[alignmentKey].map { metadata[$0].value })

        var tensors: [GGUFTensorInfo] = []
        tensors.reserveCapacity(tensorCount)
        var tensorIndex: [String: Int] = [:]
        for index in 0..<tensorCount {
            let info = try readTensorInfo(index: index, alignment: alignment, cursor: &cursor)
            guard tensorIndex[info.name] == nil else { throw GGUFError.duplicateTensor(info.name) }
            tensorIndex[info.name] = tensors.count
            tensors.append(info)
        }

        let dataStart: Int
        if tensors.isEmpty {
            // Writers pad even without tensors; tolerate a file that ends right after the infos.
            let padded = (cursor.offset + alignment - 1) / alignment * alignment
            dataStart = min(padded, storage.count)
        } else {
            try cursor.align(to: alignment, "padding before the tensor data")
            dataStart = cursor.offset
        }
        try checkTensorPlacement(tensors, dataStart: dataStart, fileSize: storage.count)
        return GGUFFile(
            storage: storage, version: version, metadata: metadata, metadataIndex: metadataIndex,
            tensors: tensors, tensorIndex: tensorIndex, alignment: alignment, dataStart: dataStart)
    }

    /// The alignment named by a `general.alignment` value (default when absent).
    static func alignment(from value: GGUFValue?) throws -> Int {
        guard let value else { return defaultAlignment }
        guard case let .uint32(raw) = value else { throw GGUFError.alignmentType(value.type) }
        guard raw != 0, raw & (raw - 1) == 0 else { throw GGUFError.badAlignment(UInt64(raw)) }
        return Int(raw)
    }

    static func readValue(_ type: GGUFValueType, key: String, depth: Int, cursor: inout GGUFCursor) throws -> GGUFValue {
        switch type {
        case .uint8: return .uint8(try cursor.uint8("value of '\(key)'"))
        case .int8: return .int8(Int8(bitPattern: try cursor.uint8("value of '\(key)'")))
        case .uint16: return .uint16(try cursor.uint16("value of '\(key)'"))
        case .int16: return .int16(Int16(bitPattern: try cursor.uint16("value of '\(key)'")))
        case .uint32: return .uint32(try cursor.uint32("value of '\(key)'"))
        case .int32: return .int32(Int32(bitPattern: try cursor.uint32("value of '\(key)'")))
        case .uint64: return .uint64(try cursor.uint64("value of '\(key)'"))
        case .int64: return .int64(Int64(bitPattern: try cursor.uint64("value of '\(key)'")))
        case .float32: return .float32(Float(bitPattern: try cursor.uint32("value of '\(key)'")))
        case .float64: return .float64(Double(bitPattern: try cursor.uint64("value of '\(key)'")))
        case .bool:
            let offset = cursor.offset
            let byte = try cursor.uint8("value of '\(key)'")
            guard byte <= 1 else { throw GGUFError.invalidBool(key: key, byte: byte, offset: offset) }
            return .bool(byte == 1)
        case .string:
            return .string(try cursor.string("string value of '\(key)'"))
        case .array:
            return try readArray(key: key, depth: depth, cursor: &cursor)
        }
    }

    static func readArray(key: String, depth: Int, cursor: inout GGUFCursor) throws -> GGUFValue {
        guard depth < maxArrayNesting else { throw GGUFError.nestingTooDeep(key: key, limit: maxArrayNesting) }
        let typeOffset = cursor.offset
        let rawType = try cursor.uint32("array element type of '\(key)'")
        guard let elementType = GGUFValueType(rawValue: rawType) else {
            throw GGUFError.unknownValueType(key: key, type: rawType, offset: typeOffset)
        }
        let rawCount = try cursor.uint64("array length of '\(key)'")
        let count = try cursor.checkCount(
            rawCount, minimumSize: elementType.minimumEncodedSize, "array '\(key)' length")
        var elements: [GGUFValue] = []
        elements.reserveCapacity(count)
        for _ in 0..<count {
            elements.append(try readValue(elementType, key: key, depth: depth + 1, cursor: &cursor))
        }
        return .array(elementType: elementType, elements: elements)
    }

    static func readTensorInfo(index: Int, alignment: Int, cursor: inout GGUFCursor) throws -> GGUFTensorInfo {
        let name = try cursor.string("name of tensor \(index)")
        let dimCount = try cursor.uint32("dimension count of tensor '\(name)'")
        guard dimCount <= UInt32(maxDimensions) else {
            throw GGUFError.tooManyDimensions(tensor: name, count: dimCount, limit: maxDimensions)
        }
        var dims: [Int] = []
        for dimIndex in 0..<Int(dimCount) {
            let raw = try cursor.uint64("dimension \(dimIndex) of tensor '\(name)'")
            guard raw > 0, let dim = Int(exactly: raw) else {
                throw GGUFError.badDimension(tensor: name, index: dimIndex, value: raw)
            }
            dims.append(dim)
        }
        let rawType = try cursor.uint32("type of tensor '\(name)'")
        guard let type = GGMLType(rawValue: rawType) else {
            throw GGUFError.unknownTensorType(tensor: name, type: rawType)
        }
        let rawOffset = try cursor.uint64("data offset of tensor '\(name)'")
        guard rawOffset % UInt64(alignment) == 0 else {
            throw GGUFError.misalignedOffset(tensor: name, offset: rawOffset, alignment: alignment)
        }
        guard let offset = Int(exactly: rawOffset) else {
            throw GGUFError.tensorOutOfBounds(tensor: name, end: rawOffset, fileSize: cursor.bytes.storage.count)
        }
        return try GGUFTensorInfo(name: name, dims: dims, type: type, offset: offset)
    }

    /// Every tensor lies inside the file and no two overlap.
    static func checkTensorPlacement(_ tensors: [GGUFTensorInfo], dataStart: Int, fileSize: Int) throws {
        var spans: [(start: Int, end: Int, name: String)] = []
        spans.reserveCapacity(tensors.count)
        for info in tensors {
            let start = dataStart.addingReportingOverflow(info.offset)
            let end = start.partialValue.addingReportingOverflow(info.byteCount)
            guard !start.overflow, !end.overflow, end.partialValue <= fileSize else {
                let reported = UInt64(dataStart) &+ UInt64(info.offset) &+ UInt64(info.byteCount)
                throw GGUFError.tensorOutOfBounds(tensor: info.name, end: reported, fileSize: fileSize)
            }
            spans.append((start.partialValue, end.partialValue, info.name))
        }
        spans.sort { $0.start < $1.start }
        for (previous, next) in zip(spans, spans.dropFirst()) where next.start < previous.end {
            throw GGUFError.overlappingTensors(previous.name, next.name)
        }
    }
}
