import MPTCore
import MPTFormats
import MPTGraph

/// libFuzzer entry: `config.json` bytes through the JSON parser and MPT config normalization
/// (every dialect), then the JSON writer and the config export.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let json = try? JSONParser.parse(bytes) else { return 0 }
    _ = JSONWriter.compact(json)
    if let (config, _) = try? MPTConfig.normalize(json) {
        _ = JSONWriter.pretty(config.huggingFaceJSON(torchDtype: "float32"))
    }
    return 0
}
