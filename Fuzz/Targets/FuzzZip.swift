import MPTCore
import MPTFormats

/// libFuzzer entry: a whole zip file (end record, ZIP64 records, central directory, local
/// headers, stored and deflated entries), then the PyTorch reader over the same bytes.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZip(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let storage = ByteStorage(copying: UnsafeBufferPointer(start: data, count: size), origin: "fuzz.bin")
    if let archive = try? ZipArchive(storage: storage) {
        for entry in archive.entries {
            _ = try? archive.verifyChecksum(of: entry)
            _ = try? archive.contents(of: entry).copy()
        }
    }
    _ = try? PyTorchCheckpoint.read(storage: storage, origin: storage.origin)
    return 0
}
