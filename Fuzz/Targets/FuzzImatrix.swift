import Foundation
import MPTCore
import MPTFormats

/// libFuzzer entry: a whole imatrix file, GGUF (starts with `GGUF`) or legacy `.dat`. What parses
/// is written back in its own form and read again: the second read must give the same entries.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImatrix(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("fuzz-imatrix-\(getpid())").path
    try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    let input = directory + "/input", output = directory + "/output"
    _ = FileManager.default.createFile(atPath: input, contents: Data(bytes: data, count: size))
    guard let file = try? ImatrixFile.read(path: input) else { return 0 }
    do {
        switch file.format {
        case .gguf: try file.writeGGUF(to: output)
        case .legacy: try file.writeLegacy(to: output)
        }
    } catch {
        return 0   // e.g. a count above 32 bits: refused by the writer, not a finding
    }
    guard let again = try? ImatrixFile.read(path: output) else { fatalError("a written imatrix does not parse") }
    guard again.entries.map(\.name) == file.entries.map(\.name), again.entries.map(\.counts) == file.entries.map(\.counts),
          zip(again.entries, file.entries).allSatisfy({ zip($0.sums, $1.sums).allSatisfy { $0.bitPattern == $1.bitPattern } })
    else { fatalError("the imatrix round trip changed the entries") }
    return 0
}
