import MPTCore
import MPTFormats

/// Storage records available to the fuzzed pickle: `archive/data/0` … `archive/data/3`, 256
/// bytes each, so persistent ids that name them build real tensor views.
private let storageRecordCount = 4
private let storageRecordSize = 256

/// libFuzzer entry: the input is `data.pkl` of a PyTorch checkpoint. It is evaluated by the
/// pickle machine directly, then wrapped in a stored zip (with valid CRCs) next to four storage
/// records and read by the PyTorch reader (state dict walk, tensor records, storage views).
/// The fixed entries around the fuzzed `data.pkl`, built once: byteorder and four storage records.
private let fixedEntries: [(name: [UInt8], bytes: [UInt8], crc: UInt32)] = {
    var entries: [(String, [UInt8])] = [("archive/byteorder", Array("little".utf8))]
    for index in 0..<storageRecordCount {
        entries.append(("archive/data/\(index)", (0..<storageRecordSize).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ index) }))
    }
    return entries.map { (Array($0.0.utf8), $0.1, FuzzZipWriter.crc32($0.1)) }
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let pickle = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? PickleMachine().evaluate(bytes: pickle)
    if let lenient = try? PickleMachine(unknownGlobals: .placeholdersOutsideAllowList).evaluate(bytes: pickle) {
        _ = lenient.firstPlaceholder(reachableFrom: lenient.root)
    }
    let entries = [(Array("archive/data.pkl".utf8), pickle, FuzzZipWriter.crc32(pickle))] + fixedEntries
    let archive = FuzzZipWriter.storedArchive(entries)
    let storage = ByteStorage(copying: archive, origin: "fuzz.bin")
    if let contents = try? PyTorchCheckpoint.read(storage: storage, origin: storage.origin) {
        for name in contents.tensors.names { _ = try? contents.tensors[name]?.floats() }
    }
    return 0
}

/// Writes minimal stored (uncompressed) zip archives into one buffer (few allocations: under
/// ASan each one costs a stack capture, which dominated an execution's time).
enum FuzzZipWriter {
    static func storedArchive(_ entries: [(name: [UInt8], bytes: [UInt8], crc: UInt32)]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        out.reserveCapacity(entries.reduce(22) { $0 + 76 + 2 * $1.name.count + $1.bytes.count })
        central.reserveCapacity(entries.reduce(0) { $0 + 46 + $1.name.count })
        for (name, bytes, crc) in entries {
            let offset = UInt32(out.count)
            let count = UInt32(bytes.count), nameCount = UInt16(name.count)
            put32(0x0403_4b50, &out); put16(20, &out); put16(0, &out); put16(0, &out); put16(0, &out); put16(0, &out)
            put32(crc, &out); put32(count, &out); put32(count, &out); put16(nameCount, &out); put16(0, &out)
            out.append(contentsOf: name)
            out.append(contentsOf: bytes)
            put32(0x0201_4b50, &central); put16(20, &central); put16(20, &central); put16(0, &central); put16(0, &central)
            put16(0, &central); put16(0, &central); put32(crc, &central); put32(count, &central); put32(count, &central)
            put16(nameCount, &central); put16(0, &central); put16(0, &central); put16(0, &central); put16(0, &central)
            put32(0, &central); put32(offset, &central)
            central.append(contentsOf: name)
        }
        let directoryOffset = UInt32(out.count)
        out.append(contentsOf: central)
        put32(0x0605_4b50, &out); put16(0, &out); put16(0, &out); put16(UInt16(entries.count), &out); put16(UInt16(entries.count), &out)
        put32(UInt32(central.count), &out); put32(directoryOffset, &out); put16(0, &out)
        return out
    }

    /// CRC-32 (zip's polynomial) by table, one lookup per byte: the bitwise loop was most of
    /// an execution's time for large inputs.
    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes { crc = crcTable[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        return ~crc
    }

    private static let crcTable: [UInt32] = (0..<256).map { index in
        var crc = UInt32(index)
        for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        return crc
    }

    static func put16(_ value: UInt16, _ out: inout [UInt8]) {
        out.append(UInt8(value & 0xFF))
        out.append(UInt8(value >> 8))
    }

    static func put32(_ value: UInt32, _ out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((value >> UInt32(shift)) & 0xFF)) }
    }
}
