import Foundation
import MPTCore
import MPTFormats
import MPTQuant
import Testing

// MARK: Peer file

private struct PeerTensor {
    let name: String
    let type: String
    let shape: [Int]
    let data: String
}

private func peerManifest() throws -> (metadata: [[String: Any]], tensors: [PeerTensor]) {
    let peer = try #require(try GGMLGoldens.manifest()["peer_gguf"] as? [String: Any])
    let metadata = try #require(peer["metadata"] as? [[String: Any]])
    let tensors = try #require(peer["tensors"] as? [[String: Any]]).map { entry in
        PeerTensor(
            name: try #require(entry["name"] as? String), type: try #require(entry["type"] as? String),
            shape: try #require(entry["shape"] as? [Int]), data: try #require(entry["data"] as? String))
    }
    return (metadata, tensors)
}

/// Compares a value we read with the manifest's text spelling of the peer's value.
private func matches(_ value: GGUFValue, text: Any) -> Bool {
    switch value {
    case let .array(_, elements):
        guard let texts = text as? [Any], texts.count == elements.count else { return false }
        return zip(elements, texts).allSatisfy { matches($0, text: $1) }
    case let .string(string): return string == text as? String
    case let .bool(flag): return (flag ? "true" : "false") == text as? String
    case let .float32(number): return (text as? String).flatMap(Double.init) == Double(number)
    case let .float64(number): return (text as? String).flatMap(Double.init) == number
    case let .uint64(number): return (text as? String).flatMap(UInt64.init) == number
    default:
        guard let integer = value.intValue, let string = text as? String else { return false }
        return Int(string) == integer
    }
}

@Test func readsPeerWrittenFile() throws {
    let file = try GGUFFile.read(path: GGMLGoldens.url("peer.gguf").path)
    let (metadata, tensors) = try peerManifest()
    #expect(file.version == 3)
    #expect(file.alignment == 32)
    #expect(file.metadata.map(\.key) == metadata.compactMap { $0["key"] as? String })
    for entry in metadata {
        let key = try #require(entry["key"] as? String)
        let value = try #require(file[key], "\(key)")
        #expect(value.type.description == entry["type"] as? String, "\(key)")
        if case let .array(elementType, elements) = value {
            #expect(elementType.description == entry["element_type"] as? String, "\(key)")
            if let inner = entry["inner_element_type"] as? String {
                for element in elements {
                    guard case let .array(innerType, _) = element else { Issue.record("\(key) not nested"); continue }
                    #expect(innerType.description == inner)
                }
            }
        }
        #expect(matches(value, text: entry["value"] as Any), "\(key): \(value)")
    }
    #expect(file.tensors.map(\.name) == tensors.map(\.name))
    for expected in tensors {
        let info = try #require(file.tensor(named: expected.name))
        #expect(info.type.description == expected.type)
        #expect(info.rowMajorDims == expected.shape)
        #expect(info.dims == expected.shape.reversed())
        let bytes = try file.withBytes(of: info) { Array($0) }
        #expect(bytes == (try GGMLGoldens.bytes(expected.data)), "\(expected.name)")
    }
    let f32 = try file.denseView(ofTensorNamed: "weights.f32")
    #expect(f32.shape.dims == [3, 64])
    #expect(try f32.floats() == GGMLGoldens.floats("peer.weights.f32.bin"))
    let f16 = try file.denseView(ofTensorNamed: "weights.f16")
    #expect(f16.dtype == .f16 && f16.shape.dims == [2, 3, 32])
    #expect(throws: GGUFError.notDense(tensor: "weights.q8_0", type: .q8_0)) {
        try file.denseView(ofTensorNamed: "weights.q8_0")
    }
}

// MARK: Writer

/// Copies every metadata entry and tensor of `file` into a writer (tensor bytes streamed in
/// small pieces from the source mapping).
private func copyingWriter(_ file: GGUFFile) throws -> GGUFWriter {
    var writer = try GGUFWriter(alignment: file.alignment)
    for (key, value) in file.metadata where key != GGUFFile.alignmentKey || file.alignment == 32 {
        try writer.addMetadata(key, value)
    }
    for info in file.tensors {
        try writer.addTensor(name: info.name, dims: info.rowMajorDims, type: info.type) { sink in
            let bytes = try file.withBytes(of: info) { Array($0) }
            for start in stride(from: 0, to: bytes.count, by: 7) {
                try sink.write(Array(bytes[start..<min(start + 7, bytes.count)]))
            }
        }
    }
    return writer
}

private func temporaryPath(_ name: String) -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("mptkit-\(UUID().uuidString)-\(name)").path
}

@Test func writerReproducesPeerFileByteForByte() throws {
    let peerPath = GGMLGoldens.url("peer.gguf").path
    let peer = try GGUFFile.read(path: peerPath)
    let output = temporaryPath("copy.gguf")
    defer { try? FileManager.default.removeItem(atPath: output) }
    try copyingWriter(peer).write(to: output)
    let written = try Data(contentsOf: URL(fileURLWithPath: output))
    #expect(written == (try Data(contentsOf: URL(fileURLWithPath: peerPath))))
    if let keep = ProcessInfo.processInfo.environment["MPTKIT_GGUF_WRITER_OUT"] {
        try copyingWriter(peer).write(to: keep)
    }
}

@Test func writerRoundTripWithQuantizedStreamingAndCustomAlignment() throws {
    let inputs = try GGMLGoldens.inputs()
    let (wide, files) = try #require(inputs.first { $0.input.name == "wide_4x256" })
    let storage = ByteStorage(copying: wide.values.withUnsafeBytes { Array($0) }, origin: "wide")
    let view = try TensorView(storage: storage, dtype: .f32, shape: Shape(checking: wide.shape), byteOffset: 0)
    var writer = try GGUFWriter(alignment: 64)
    try writer.addMetadata("general.architecture", .string("mpt"))
    try writer.addMetadata("test.nested", .array(elementType: .array, elements: [.strings(["x"]), .strings([])]))
    for type in [GGMLType.q8_0, .q4_0, .f16, .f32] {
        try writer.addTensor(name: "wide.\(type)", dims: wide.shape, type: type) { sink in
            try GGMLQuantizer.write(view, as: type, to: &sink, chunkElements: 300)
        }
    }
    let output = temporaryPath("roundtrip.gguf")
    defer { try? FileManager.default.removeItem(atPath: output) }
    try writer.write(to: output)
    if let keep = ProcessInfo.processInfo.environment["MPTKIT_GGUF_ROUNDTRIP_OUT"] {
        try writer.write(to: keep)
    }

    let file = try GGUFFile.read(path: output)
    #expect(file.alignment == 64)
    #expect(file[GGUFFile.alignmentKey] == .uint32(64))
    #expect(file["test.nested"] == .array(elementType: .array, elements: [.strings(["x"]), .strings([])]))
    #expect(file.dataStart % 64 == 0)
    for (tag, type) in [("q8_0", GGMLType.q8_0), ("q4_0", .q4_0)] {
        let info = try #require(file.tensor(named: "wide.\(type)"))
        #expect(info.offset % 64 == 0)
        #expect(try file.withBytes(of: info) { Array($0) } == GGMLGoldens.bytes(try #require(files[tag])))
    }
    #expect(try file.denseView(ofTensorNamed: "wide.F32").floats() == wide.values)
    let halves = try file.denseView(ofTensorNamed: "wide.F16").floats()
    #expect(halves == wide.values.map { Float(Float16($0)) })
}

@Test func writerRejectsBadInput() throws {
    #expect(throws: GGUFError.badAlignment(0)) { try GGUFWriter(alignment: 0) }
    #expect(throws: GGUFError.badAlignment(48)) { try GGUFWriter(alignment: 48) }
    var writer = try GGUFWriter()
    try writer.addMetadata("a", .uint8(1))
    #expect(throws: GGUFError.duplicateKey("a")) { try writer.addMetadata("a", .uint8(2)) }
    #expect(throws: GGUFError.self) { try writer.addMetadata("b", .array(elementType: .int32, elements: [.uint8(1)])) }
    #expect(throws: GGUFError.self) { try writer.addMetadata(GGUFFile.alignmentKey, .uint32(64)) }
    #expect(throws: GGUFError.partialBlock(tensor: "t", type: .q8_0, innermostDim: 16)) {
        try writer.addTensor(name: "t", dims: [2, 16], type: .q8_0) { _ in }
    }
    #expect(throws: GGUFError.self) { try writer.addTensor(name: "z", dims: [0, 32], type: .f32) { _ in } }
    try writer.addTensor(name: "short", dims: [4], type: .f32) { sink in try sink.write([0, 0, 0, 0]) }
    let output = temporaryPath("short.gguf")
    #expect(throws: GGUFError.tensorByteCount(tensor: "short", expected: 16, produced: 4)) { try writer.write(to: output) }
    #expect(!FileManager.default.fileExists(atPath: output))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: FileManager.default.temporaryDirectory.path)
        .filter { $0.contains("short.gguf.tmp") }
    #expect(leftovers.isEmpty)
}

// MARK: Crafted bad files

/// Builds GGUF bytes by hand (independently of our writer) for malformed-file tests.
private struct RawGGUF {
    var bytes: [UInt8] = []
    mutating func u8(_ value: UInt8) { bytes.append(value) }
    mutating func u32(_ value: UInt32) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func u64(_ value: UInt64) { withUnsafeBytes(of: value.littleEndian) { bytes += $0 } }
    mutating func string(_ text: String) { u64(UInt64(text.utf8.count)); bytes += Array(text.utf8) }
    mutating func header(version: UInt32 = 3, tensors: UInt64, keys: UInt64) {
        bytes += Array("GGUF".utf8); u32(version); u64(tensors); u64(keys)
    }
    mutating func keyU32(_ key: String, _ value: UInt32) { string(key); u32(4); u32(value) }
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        string(name); u32(UInt32(dims.count)); dims.forEach { u64($0) }; u32(type); u64(offset)
    }
    mutating func padAndData(alignment: Int = 32, dataBytes: Int) {
        while bytes.count % alignment != 0 { u8(0) }
        bytes += [UInt8](repeating: 0, count: dataBytes)
    }
    func parse() throws -> GGUFFile { try GGUFFile.parse(ByteStorage(copying: bytes, origin: "crafted")) }
}

private func oneTensor(dims: [UInt64] = [32], type: UInt32 = 0, offset: UInt64 = 0, data: Int = 128,
                       keys: (inout RawGGUF) -> UInt64 = { _ in 0 }) -> RawGGUF {
    var keyPart = RawGGUF()
    let keyCount = keys(&keyPart)
    var raw = RawGGUF()
    raw.header(tensors: 1, keys: keyCount)
    raw.bytes += keyPart.bytes
    raw.tensor("t", dims: dims, type: type, offset: offset)
    raw.padAndData(dataBytes: data)
    return raw
}

@Test func craftedMinimalFileParses() throws {
    let file = try oneTensor(dims: [32, 2], data: 256).parse()
    #expect(file.tensors.first?.rowMajorDims == [2, 32])
    #expect(file.tensors.first?.byteCount == 256)
}

@Test func rejectsBadMagicAndVersions() throws {
    var raw = oneTensor()
    raw.bytes[0] = UInt8(ascii: "X")
    #expect(throws: GGUFError.badMagic(Array("XGUF".utf8))) { try raw.parse() }
    for version: UInt32 in [1, 4, 0x0300_0000] {
        var bad = RawGGUF()
        bad.header(version: version, tensors: 0, keys: 0)
        #expect(throws: GGUFError.unsupportedVersion(version)) { try bad.parse() }
    }
}

@Test func everyTruncationOfPeerFileIsAClearError() throws {
    let full = try GGMLGoldens.bytes("peer.gguf")
    let file = try GGUFFile.parse(ByteStorage(copying: full, origin: "peer"))
    let dataEnd = try #require(file.tensors.map { file.byteRange(of: $0).upperBound }.max())
    for length in 0..<dataEnd {
        do {
            _ = try GGUFFile.parse(ByteStorage(copying: full[0..<length], origin: "cut"))
            Issue.record("prefix of \(length) bytes parsed")
        } catch let error as GGUFError {
            #expect(!error.description.isEmpty)
        } catch {
            Issue.record("prefix of \(length) bytes: unexpected error \(error)")
        }
    }
    // The padding after the last tensor is optional.
    #expect(throws: Never.self) { try GGUFFile.parse(ByteStorage(copying: full[0..<dataEnd], origin: "unpadded")) }
}

@Test func rejectsHugeCounts() throws {
    var tensors = RawGGUF()
    tensors.header(tensors: UInt64.max, keys: 0)
    #expect(throws: GGUFError.countTooLarge(what: "tensor count", count: UInt64.max, offset: 24, remaining: 0)) { try tensors.parse() }
    var keys = RawGGUF()
    keys.header(tensors: 0, keys: 1 << 40)
    keys.bytes += [UInt8](repeating: 0, count: 64)
    #expect(throws: GGUFError.self) { try keys.parse() }
    let array = oneTensor { raw in
        raw.string("big"); raw.u32(9); raw.u32(8); raw.u64(1 << 50)
        return 1
    }
    do {
        _ = try array.parse()
        Issue.record("huge array parsed")
    } catch let GGUFError.countTooLarge(what, count, _, _) {
        #expect(what == "array 'big' length" && count == 1 << 50)
    }
}

@Test func rejectsStringLengthPastEnd() throws {
    var raw = RawGGUF()
    raw.header(tensors: 0, keys: 1)
    raw.u64(1_000_000)
    raw.bytes += Array("key-and-more".utf8)
    #expect(throws: GGUFError.truncated(what: "key of metadata entry 0", offset: 32, needed: 1_000_000, available: 12)) {
        try raw.parse()
    }
    let invalid = oneTensor { raw in raw.string("s"); raw.u32(8); raw.u64(2); raw.bytes += [0xC3, 0x28]; return 1 }
    #expect(throws: GGUFError.invalidUTF8(what: "string value of 's'", offset: 37)) { try invalid.parse() }
}

@Test func rejectsBadAlignment() throws {
    let zero = oneTensor { raw in raw.keyU32(GGUFFile.alignmentKey, 0); return 1 }
    #expect(throws: GGUFError.badAlignment(0)) { try zero.parse() }
    let odd = oneTensor { raw in raw.keyU32(GGUFFile.alignmentKey, 24); return 1 }
    #expect(throws: GGUFError.badAlignment(24)) { try odd.parse() }
    let wrongType = oneTensor { raw in raw.string(GGUFFile.alignmentKey); raw.u32(10); raw.u64(32); return 1 }
    #expect(throws: GGUFError.alignmentType(.uint64)) { try wrongType.parse() }
}

@Test func rejectsDuplicatesAndBadValues() throws {
    let duplicateKey = oneTensor { raw in raw.keyU32("k", 1); raw.keyU32("k", 2); return 2 }
    #expect(throws: GGUFError.duplicateKey("k")) { try duplicateKey.parse() }
    var duplicateTensor = RawGGUF()
    duplicateTensor.header(tensors: 2, keys: 0)
    duplicateTensor.tensor("t", dims: [8], type: 0, offset: 0)
    duplicateTensor.tensor("t", dims: [8], type: 0, offset: 32)
    duplicateTensor.padAndData(dataBytes: 64)
    #expect(throws: GGUFError.duplicateTensor("t")) { try duplicateTensor.parse() }
    let unknownValue = oneTensor { raw in raw.string("v"); raw.u32(13); raw.u32(0); return 1 }
    #expect(throws: GGUFError.unknownValueType(key: "v", type: 13, offset: 33)) { try unknownValue.parse() }
    let badBool = oneTensor { raw in raw.string("b"); raw.u32(7); raw.u8(2); return 1 }
    #expect(throws: GGUFError.invalidBool(key: "b", byte: 2, offset: 37)) { try badBool.parse() }
    let deep = oneTensor { raw in
        raw.string("deep")
        raw.u32(9)
        for _ in 0..<20 { raw.u32(9); raw.u64(1) }
        raw.u32(4); raw.u64(0)
        return 1
    }
    #expect(throws: GGUFError.nestingTooDeep(key: "deep", limit: GGUFFile.maxArrayNesting)) { try deep.parse() }
}

@Test func rejectsBadTensorInfos() throws {
    #expect(throws: GGUFError.unknownTensorType(tensor: "t", type: 4)) { try oneTensor(type: 4).parse() }
    #expect(throws: GGUFError.unknownTensorType(tensor: "t", type: 200)) { try oneTensor(type: 200).parse() }
    #expect(throws: GGUFError.misalignedOffset(tensor: "t", offset: 8, alignment: 32)) { try oneTensor(offset: 8).parse() }
    #expect(throws: GGUFError.tooManyDimensions(tensor: "t", count: 5, limit: 4)) {
        try oneTensor(dims: [1, 1, 1, 1, 1]).parse()
    }
    #expect(throws: GGUFError.badDimension(tensor: "t", index: 1, value: 0)) { try oneTensor(dims: [32, 0]).parse() }
    #expect(throws: GGUFError.partialBlock(tensor: "t", type: .q8_0, innermostDim: 16)) {
        try oneTensor(dims: [16], type: 8).parse()
    }
    #expect(throws: GGUFError.shapeOverflow(tensor: "t", dims: [1 << 32, 1 << 32])) {
        try oneTensor(dims: [1 << 32, 1 << 32]).parse()
    }
    #expect(throws: (any Error).self) { try oneTensor(dims: [1 << 61]).parse() }
    #expect(throws: GGUFError.tensorOutOfBounds(tensor: "t", end: 64 + 256, fileSize: 64 + 128)) {
        try oneTensor(dims: [64]).parse()
    }
    var overlapping = RawGGUF()
    overlapping.header(tensors: 2, keys: 0)
    overlapping.tensor("a", dims: [16], type: 0, offset: 0)
    overlapping.tensor("b", dims: [16], type: 0, offset: 32)
    overlapping.padAndData(dataBytes: 128)
    #expect(throws: GGUFError.overlappingTensors("a", "b")) { try overlapping.parse() }
}

@Test func readErrorsNameTheFile() throws {
    let path = temporaryPath("bad.gguf")
    defer { try? FileManager.default.removeItem(atPath: path) }
    try Data("NOPE".utf8).write(to: URL(fileURLWithPath: path))
    do {
        _ = try GGUFFile.read(path: path)
        Issue.record("bad file parsed")
    } catch let error as FileError {
        #expect(error.description.hasPrefix(path))
        #expect(error.description.contains("not a GGUF file"))
    }
}
