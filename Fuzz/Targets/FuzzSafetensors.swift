import MPTCore
import MPTFormats
import MPTGraph

/// A small MPT config (d_model 8, 2 heads, 1 layer, vocab 16) so accepted tensor sets also go
/// through graph building and shape validation.
private func fuzzConfig() -> JSONValue? {
    // Parsed per input: a lazily initialized global would look like a leak of the first input.
    try? JSONParser.parse(
    #"{"model_type":"mpt","architectures":["MptForCausalLM"],"d_model":8,"n_heads":2,"n_layers":1,"#
        + #""expansion_ratio":4,"max_seq_len":16,"vocab_size":16,"no_bias":true,"attn_config":{"alibi":true}}"#)
}

/// libFuzzer entry: a whole safetensors file (header length, JSON header, offsets, data).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafetensors(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let storage = ByteStorage(copying: UnsafeBufferPointer(start: data, count: size), origin: "fuzz.safetensors")
    guard let tensors = try? SafetensorsFile.read(storage: storage, origin: storage.origin) else { return 0 }
    for name in tensors.names {
        guard let view = tensors[name], view.byteCount <= 1 << 20 else { continue }
        _ = try? view.floats()
        _ = try? view.contiguousBytes()
    }
    let checkpoint = Checkpoint(path: "fuzz", format: .safetensors, tensors: tensors, config: fuzzConfig(), files: [], tokenizerPath: nil)
    _ = try? MPTModel(checkpoint: checkpoint)
    return 0
}
