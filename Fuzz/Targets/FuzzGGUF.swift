import MPTCore
import MPTFormats
import MPTTokenizer

/// libFuzzer entry: a whole GGUF file (header, typed metadata incl. nested arrays, tensor infos,
/// alignment, data section), then every tensor's byte range and dense view, and the tokenizer
/// the metadata may store (`GGUFTokenizer`).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzGGUF(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let storage = ByteStorage(copying: UnsafeBufferPointer(start: data, count: size), origin: "fuzz.gguf")
    guard let file = try? GGUFFile.parse(storage) else { return 0 }
    for info in file.tensors {
        _ = try? file.withBytes(of: info) { $0.count }
        if let view = try? file.denseView(of: info), view.byteCount <= 1 << 20 { _ = try? view.floats() }
    }
    if let stored = try? GGUFTokenizer(gguf: file), let tokenizer = try? BPETokenizer(stored.file) {
        _ = tokenizer.decode(tokenizer.encode("Hello, wörld  \u{1F600}"))
    }
    return 0
}
