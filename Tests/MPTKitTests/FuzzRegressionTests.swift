import Foundation
import MPTCore
import MPTFormats
import Testing

/// Inputs found by the libFuzzer targets in `Fuzz/`, kept inline with the clean error each must
/// now produce.
@Suite("Fuzz regressions")
struct FuzzRegressionTests {
    static func storage(_ base64: String, origin: String) throws -> ByteStorage {
        let data = try #require(Data(base64Encoded: base64))
        return ByteStorage(copying: data, origin: origin)
    }

    /// fuzz-zip OOM: a 573-byte torch zip whose deflated `data.pkl` (219 compressed bytes)
    /// declares 4,294,767,294 uncompressed bytes, under the 4 GiB cap, so the reader allocated
    /// 4 GiB before inflating. Deflate expands at most 1032:1: refused before allocating.
    static let declaredFourGiB = "UEsDBBQAAAAIAAAAIQDhfB2r2wAAAEINAwAQAAAAYXJjaGl2ZS9kYXRhLnBrbO3BMQ0AAAgDsARBOOLACdKxsaPt1QAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAACxFgAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEjVD1BLAwQUAAAAAAAAACEA0Z5nVQIAAAACAAAADwAAAGFyY2hpdmUvdmVyc2lvbjIKUEsDBBQAAAAAAAAAIQCFPeMZBgAAAAYAAAARAAAAYXJjaGl2ZS9ieXRlb3JkZXJsaXR0bGVQSwECFAMUAAAACAAAACEA4Xwdq9sAAAC+8vz/EAAAAAAAAAAAAAAAgAEAAAAAYXJjaGl2ZS9kYXRhLnBrbFBLAQIUAxQAAAAAAAAAIQDRnmdVAgAAAAIAAAAPAAAAAAAAAAAAAACAAQkBAABhcmNoaXZlL3ZlcnNpb25QSwECFAMUAAAAAAAAACEAhT3jGQAAAAAAAAAAEQAAAAAAAAAAAAAAgAE4AQAAYXJjaGk2ZS9ieXRlb3JkZXJQSwUGAAAAAAMAAwC6AAAAbQEAAAAA"

    @Test func deflatedEntryDeclaringMoreThanItCanInflateIsRefusedBeforeAllocating() throws {
        let storage = try Self.storage(Self.declaredFourGiB, origin: "oom.bin")
        let archive = try ZipArchive(storage: storage)
        let entry = try #require(archive.entry(named: "archive/data.pkl"))
        #expect(entry.uncompressedSize == 4_294_767_294)
        #expect(entry.compressedSize == 219)
        let error = expectZipPickleThrows(ZipError.self) { _ = try archive.contents(of: entry) }
        #expect(error?.description == "deflated zip entry 'archive/data.pkl' declares 4294767294 bytes, more than its 219 compressed bytes can inflate to")
        #expect(throws: ZipError.self) { try PyTorchCheckpoint.read(storage: storage, origin: "oom.bin") }
    }

    /// fuzz-pickle crash (no-ASan 1 M run): `NONE NONE MARK NONE TUPLE3 DICT` — TUPLE3 took values
    /// from below the MARK, leaving the mark above the stack top, and DICT's slice from the mark
    /// trapped. A MARK starts a fresh stack (as in CPython): TUPLE1–3 see only what lies above it.
    @Test func tupleCannotTakeValuesFromBelowAMark() throws {
        let pickle: [UInt8] = [0x80, 0x02, 0x4E, 0x4E, 0x28, 0x4E, 0x87, 0x64, 0x2E]
        #expect(throws: PickleError.stackUnderflow(opcode: "TUPLE3", offset: 6)) { try PickleMachine().evaluate(bytes: pickle) }
        // TUPLE2 above a MARK, TUPLE closing it, then TUPLE2 over values below it: still valid.
        let ok: [UInt8] = [0x80, 0x02, 0x4E, 0x28, 0x4E, 0x4E, 0x86, 0x74, 0x86, 0x2E]
        #expect(throws: Never.self) { try PickleMachine().evaluate(bytes: ok) }
    }
}
