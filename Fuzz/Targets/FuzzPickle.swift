import MPTCore
import MPTFormats

/// Storage records available to the fuzzed pickle: `archive/data/0` … `archive/data/3`, 256
/// bytes each, so persistent ids that name them build real tensor views.
private let storageRecordCount = 4
private let storageRecordSize = 256

/// libFuzzer entry: the input is `data.pkl` of a PyTorch checkpoint. It is evaluated by the
/// pickle machine directly, then wrapped in a stored zip (with valid CRCs) next to four storage
/// records and read by the PyTorch reader (state dict walk, tensor records, storage views).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPickle(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let pickle = Array(UnsafeBufferPointer(start: data, count: size))
    _ = try? PickleMachine().evaluate(bytes: pickle)
    var entries: [(String, [UInt8])] = [("archive/data.pkl", pickle), ("archive/byteorder", Array("little".utf8))]
    for index in 0..<storageRecordCount {
        entries.append(("archive/data/\(index)", (0..<storageRecordSize).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ index) }))
    }
    let archive = FuzzZipWriter.storedArchive(entries)
    let storage = ByteStorage(copying: archive, origin: "fuzz.bin")
    if let tensors = try? PyTorchCheckpoint.read(storage: storage, origin: storage.origin) {
        for name in tensors.names { _ = try? tensors[name]?.floats() }
    }
    return 0
}

/// Writes minimal stored (uncompressed) zip archives.
enum FuzzZipWriter {
    static func storedArchive(_ entries: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, bytes) in entries {
            let nameBytes = Array(name.utf8)
            let crc = crc32(bytes)
            let offset = UInt32(out.count)
            out += le32(0x0403_4b50) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
            out += le32(UInt32(bytes.count)) + le32(UInt32(bytes.count)) + le16(UInt16(nameBytes.count)) + le16(0)
            out += nameBytes + bytes
            central += le32(0x0201_4b50) + le16(20) + le16(20) + le16(0) + le16(0) + le16(0) + le16(0) + le32(crc)
            central += le32(UInt32(bytes.count)) + le32(UInt32(bytes.count)) + le16(UInt16(nameBytes.count))
            central += le16(0) + le16(0) + le16(0) + le16(0) + le32(0) + le32(offset) + nameBytes
        }
        let directoryOffset = UInt32(out.count)
        out += central
        out += le32(0x0605_4b50) + le16(0) + le16(0) + le16(UInt16(entries.count)) + le16(UInt16(entries.count))
        out += le32(UInt32(central.count)) + le32(directoryOffset) + le16(0)
        return out
    }

    static func crc32(_ bytes: [UInt8]) -> UInt32 {
        var crc: UInt32 = 0xFFFF_FFFF
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0xEDB8_8320 : crc >> 1 }
        }
        return ~crc
    }

    static func le16(_ value: UInt16) -> [UInt8] { [UInt8(value & 0xFF), UInt8(value >> 8)] }
    static func le32(_ value: UInt32) -> [UInt8] { (0..<4).map { UInt8((value >> (8 * $0)) & 0xFF) } }
}
