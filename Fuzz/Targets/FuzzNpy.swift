import MPTCore
import MPTFormats

/// libFuzzer entry: a whole `.npy` file (magic, version, header length, header dictionary, data).
/// What parses is written back and read again: the second read must give the same array, bit for
/// bit, any NaN matching any NaN (a float32 NaN may come back quieted; anything else that differs
/// is a parser/writer disagreement, and a finding too).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNpy(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let storage = ByteStorage(copying: UnsafeBufferPointer(start: data, count: size), origin: "fuzz.npy")
    guard let array = try? NpyArray(storage: storage) else { return 0 }
    guard let bytes = try? array.encoded() else { fatalError("a parsed .npy array of shape \(array.shape) cannot be encoded") }
    let again = ByteStorage(copying: bytes, origin: "fuzz-reencoded.npy")
    guard let reread = try? NpyArray(storage: again) else { fatalError("an encoded .npy array of shape \(array.shape) does not parse") }
    guard reread.shape == array.shape, reread.elementType == array.elementType,
          zip(reread.values, array.values).allSatisfy({ $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN) })
    else { fatalError("the .npy round trip changed the array of shape \(array.shape)") }
    return 0
}
