import Foundation
import MPTCore
import Testing

@testable import MPTFormats

/// Writes pickle opcodes by hand (protocol 2 forms, as `torch.save` emits them).
struct PickleWriter {
    var bytes: [UInt8] = [0x80, 2]

    mutating func op(_ code: UInt8) { bytes.append(code) }
    mutating func global(_ module: String, _ name: String) { bytes += [0x63] + Array("\(module)\n\(name)\n".utf8) }
    mutating func string(_ text: String) { bytes += [0x58] + zipLE32(UInt32(text.utf8.count)) + Array(text.utf8) }
    mutating func int(_ value: UInt8) { bytes += [0x4B, value] }
    mutating func put(_ index: UInt8) { bytes += [0x71, index] }
    mutating func get(_ index: UInt8) { bytes += [0x68, index] }
    mutating func mark() { op(0x28) }
    mutating func tuple() { op(0x74) }
    mutating func emptyTuple() { op(0x29) }
    mutating func emptyDict() { op(0x7D) }
    mutating func emptyList() { op(0x5D) }
    mutating func reduce() { op(0x52) }
    mutating func setItem() { op(0x73) }
    mutating func stop() { op(0x2E) }

    /// `('storage', torch.<type>, key, 'cpu', numel)` + BINPERSID.
    mutating func storage(_ type: String, key: String, numel: UInt8) {
        mark(); string("storage"); global("torch", type); string(key); string("cpu"); int(numel); tuple()
        op(0x51)
    }

    /// `_rebuild_tensor_v2(storage, offset, size, stride, False, OrderedDict())`.
    mutating func tensor(_ type: String, key: String, numel: UInt8, offset: UInt8, size: [UInt8], stride: [UInt8]) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        storage(type, key: key, numel: numel)
        int(offset)
        mark(); size.forEach { int($0) }; tuple()
        mark(); stride.forEach { int($0) }; tuple()
        op(0x89)
        global("collections", "OrderedDict"); emptyTuple(); reduce()
        tuple()
        reduce()
    }
}

@Suite struct PickleTests {
    private func run(_ bytes: [UInt8], limits: PickleLimits = .default) throws -> PickleResult {
        try PickleMachine(limits: limits).evaluate(bytes: bytes)
    }

    /// The data.pkl of a real torch.save archive.
    private func torchPickle(_ relative: String) throws -> [UInt8] {
        let zip = try ZipArchive(path: PickleFixtures.path(relative))
        let entry = try #require(zip.entries.first { $0.name.hasSuffix("/data.pkl") })
        return try zip.contents(of: entry).copy()
    }

    @Test func evaluatesTorchSavePickle() throws {
        let result = try run(try torchPickle("hostile/pickle/valid.bin"))
        guard case let .dict(root)? = result.object(result.root) else { Issue.record("root is not a dict"); return }
        #expect(root.keys == [.string("w")])
        guard case let .tensor(record)? = try result.object(#require(root[.string("w")])) else {
            Issue.record("'w' is not a tensor"); return
        }
        // torch.load(weights_only=True) reports w: float32 [4, 4] = 0..15 (EXPECTED.md).
        #expect(record.dtype == .f32)
        #expect(record.size == [4, 4])
        #expect(record.stride == [4, 1])
        #expect(record.storageOffset == 0)
        #expect(record.storage.type.className == "FloatStorage")
        #expect(record.storage.elementCount == 16)
    }

    @Test func memoSharesObjectsInsteadOfCopying() throws {
        // d = {}; memo[0] = d; d['a'] = 1 (via the stack); then [d, memo[0]] must be one object.
        var writer = PickleWriter()
        writer.emptyDict(); writer.put(0)
        writer.string("a"); writer.int(1); writer.setItem()
        writer.get(0)
        writer.op(0x86)  // TUPLE2
        writer.stop()
        let result = try run(writer.bytes)
        guard case let .tuple(items)? = result.object(result.root) else { Issue.record("not a tuple"); return }
        #expect(items.count == 2 && items[0] == items[1])
        guard case let .dict(shared)? = result.object(items[1]) else { Issue.record("not a dict"); return }
        #expect(shared[.string("a")] == .int(1))
    }

    @Test func decodesIntegersAndStrings() throws {
        var writer = PickleWriter()
        writer.mark()
        writer.bytes += [0x8A, 2, 0x00, 0xFF]          // LONG1 -256
        writer.bytes += [0x8A, 8] + zipLE64(UInt64(bitPattern: Int64.min))
        writer.bytes += [0x4A] + zipLE32(UInt32(bitPattern: -7))  // BININT
        writer.bytes += [0x4D] + zipLE16(65535)           // BININT2
        writer.bytes += [0x8C, 3] + Array("héy".utf8).prefix(3)  // SHORT_BINUNICODE (3 bytes: h, é)
        writer.bytes += [0x47] + Array(zipLE64((2.5 as Double).bitPattern).reversed())  // BINFLOAT big-endian
        writer.tuple(); writer.stop()
        let result = try run(writer.bytes)
        guard case let .tuple(items)? = result.object(result.root) else { Issue.record("not a tuple"); return }
        #expect(items == [.int(-256), .int(Int64.min), .int(-7), .int(65535), .string("hé"), .float(2.5)])
    }

    @Test func refusesOsSystemWithoutRunningIt() throws {
        // Hand-built and the fixture: GLOBAL os.system + REDUCE('touch …').
        let marker = FileManager.default.temporaryDirectory.appendingPathComponent("mptkit-pwned-\(getpid())").path
        var writer = PickleWriter()
        writer.global("os", "system"); writer.string("touch \(marker)"); writer.op(0x85); writer.reduce(); writer.stop()
        let error = expectZipPickleThrows(PickleError.self) { _ = try run(writer.bytes) }
        #expect(error == .forbiddenGlobal("os.system", offset: 2))
        #expect(error.map { "\($0)" }?.contains("'os.system'") == true)
        #expect(!FileManager.default.fileExists(atPath: marker))

        let fixture = expectZipPickleThrows(PickleError.self) { _ = try run(try torchPickle("hostile/pickle/os_system.bin")) }
        #expect(fixture.map { "\($0)" }?.contains("os.system") == true)
    }

    @Test func refusesEvalAndStackGlobalAndUnknownReduce() throws {
        let eval = expectZipPickleThrows(PickleError.self) { _ = try run(try torchPickle("hostile/pickle/builtins_eval.bin")) }
        #expect(eval.map { "\($0)" }?.contains("'builtins.eval' at byte") == true)

        let unknown = expectZipPickleThrows(PickleError.self) { _ = try run(try torchPickle("hostile/pickle/unknown_reduce.bin")) }
        #expect(unknown.map { "\($0)" }?.contains("torch._utils._rebuild_unknown") == true)

        var stackGlobal = PickleWriter()
        stackGlobal.string("builtins"); stackGlobal.string("exec"); stackGlobal.op(0x93); stackGlobal.stop()
        let stackError = expectZipPickleThrows(PickleError.self) { _ = try run(stackGlobal.bytes) }
        #expect(stackError.map { "\($0)" }?.contains("'builtins.exec'") == true)

        // REDUCE on an allowed global that is not callable here (a storage class).
        var storageCall = PickleWriter()
        storageCall.global("torch", "FloatStorage"); storageCall.emptyTuple(); storageCall.reduce(); storageCall.stop()
        let callError = expectZipPickleThrows(PickleError.self) { _ = try run(storageCall.bytes) }
        #expect(callError.map { "\($0)" }?.contains("REDUCE of torch.FloatStorage") == true)

        // REDUCE whose callable is not a global at all.
        var notGlobal = PickleWriter()
        notGlobal.string("x"); notGlobal.emptyTuple(); notGlobal.reduce(); notGlobal.stop()
        let notGlobalError = expectZipPickleThrows(PickleError.self) { _ = try run(notGlobal.bytes) }
        #expect(notGlobalError.map { "\($0)" }?.contains("REDUCE of a string") == true)
    }

    @Test func refusesCodeRunningOpcodes() throws {
        // INST ('i'), OBJ ('o') and EXT1 (0x82) would import/call in Python.
        for code: UInt8 in [0x69, 0x6F, 0x82] {
            var writer = PickleWriter()
            writer.op(code)
            let error = expectZipPickleThrows(PickleError.self) { _ = try run(writer.bytes) }
            #expect(error == .unsupportedOpcode(code, offset: 2))
        }
        let protocol6 = expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 6, 0x4E, 0x2E]) }
        #expect(protocol6 == .unsupportedProtocol(6, offset: 0))
    }

    @Test func deepNestingHitsTheDepthLimitWithoutRecursion() throws {
        for fixture in ["deep_nesting_lists.bin", "deep_nesting_marks.bin"] {
            let error = expectZipPickleThrows(PickleError.self) { _ = try run(try torchPickle("hostile/pickle/\(fixture)")) }
            guard case let .limitExceeded(what, limit, _)? = error else { Issue.record("\(fixture): \(String(describing: error))"); continue }
            #expect(what == "nesting depth" && limit == PickleLimits.default.maxDepth)
        }
        // Nesting through TUPLE1 (no marks, no appends) is bounded too.
        var writer = PickleWriter()
        writer.op(0x4E)
        for _ in 0..<10_000 { writer.op(0x85) }
        writer.stop()
        let error = expectZipPickleThrows(PickleError.self) { _ = try run(writer.bytes) }
        #expect(error.map { "\($0)" }?.contains("nesting depth limit of 100") == true)
        // A generous limit accepts the same stream, and freeing it does not recurse.
        let deep = try run(writer.bytes, limits: PickleLimits(maxDepth: 20_000))
        #expect(deep.heap.objects.count == 10_000)
    }

    @Test func memoAndStackMisuseAreErrors() throws {
        let memo = expectZipPickleThrows(PickleError.self) { _ = try run(try torchPickle("hostile/pickle/memo_missing.bin")) }
        guard case let .missingMemo(index, _)? = memo else { Issue.record("\(String(describing: memo))"); return }
        #expect(index == 7)

        #expect(expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 2, 0x30, 0x2E]) } == .stackUnderflow(opcode: "POP", offset: 2))
        #expect(expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 2, 0x74, 0x2E]) } == .missingMark(opcode: "TUPLE", offset: 2))
        #expect(expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 2, 0x4E, 0x4E, 0x2E]) } == .badFinalStack(count: 2, offset: 4))
        // A MARK starts a fresh stack: PUT and DUP cannot reach below it.
        #expect(expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 2, 0x4E, 0x28, 0x71, 0, 0x2E]) } == .stackUnderflow(opcode: "PUT", offset: 4))
        #expect(expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 2, 0x4E, 0x28, 0x32, 0x2E]) } == .stackUnderflow(opcode: "DUP", offset: 4))
        // SETITEM on a list.
        var writer = PickleWriter()
        writer.emptyList(); writer.string("k"); writer.int(1); writer.setItem(); writer.stop()
        let setItem = expectZipPickleThrows(PickleError.self) { _ = try run(writer.bytes) }
        #expect(setItem.map { "\($0)" }?.contains("expected a dict for SETITEM") == true)

        let stack = expectZipPickleThrows(PickleError.self) {
            _ = try run([0x80, 2] + Array(repeating: 0x4E, count: 50) + [0x2E], limits: PickleLimits(maxStackSize: 10))
        }
        #expect(stack == .limitExceeded(what: "stack size", limit: 10, offset: 12))
        var puts = PickleWriter()
        puts.op(0x4E)
        for index in 0..<20 { puts.put(UInt8(index)) }
        puts.stop()
        let memoLimit = expectZipPickleThrows(PickleError.self) { _ = try run(puts.bytes, limits: PickleLimits(maxMemoSize: 8)) }
        #expect(memoLimit.map { "\($0)" }?.contains("memo size limit of 8") == true)
    }

    @Test func lengthsAreCheckedAgainstRemainingBytesBeforeAllocating() throws {
        // BINUNICODE8 claiming 2^62 bytes, BINBYTES claiming 4 GiB - 1: refused without allocating.
        let huge = expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 4, 0x8D] + zipLE64(1 << 62) + [0x2E]) }
        #expect(huge == .limitExceeded(what: "string length", limit: PickleLimits.default.maxStringLength, offset: 2))
        let past = expectZipPickleThrows(PickleError.self) {
            _ = try run([0x80, 2, 0x42] + zipLE32(100) + Array(repeating: 0, count: 10), limits: PickleLimits())
        }
        #expect(past == .truncated(offset: 2))
        let longInt = expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 2, 0x8B] + zipLE32(9) + Array(repeating: 1, count: 9) + [0x2E]) }
        #expect(longInt == .integerTooLarge(offset: 2))
        let invalidUTF8 = expectZipPickleThrows(PickleError.self) { _ = try run([0x80, 2, 0x8C, 2, 0xC3, 0x28, 0x2E]) }
        #expect(invalidUTF8 == .invalidText(offset: 2))
    }

    @Test func truncatedPickleNamesTheOffset() throws {
        let bytes = try torchPickle("hostile/pickle/truncated_pkl.bin")
        let error = expectZipPickleThrows(PickleError.self) { _ = try run(bytes) }
        guard case .truncated? = error else { Issue.record("\(String(describing: error))"); return }
        // Every prefix of a valid pickle fails cleanly (no crash, no partial result).
        let valid = try torchPickle("hostile/pickle/valid.bin")
        for length in 0..<valid.count {
            #expect(throws: PickleError.self) { _ = try run(Array(valid.prefix(length))) }
        }
    }

    @Test func everySingleByteCorruptionOfARealPickleFailsCleanlyOrLoads() throws {
        // Deterministic mutation sweep: each byte replaced by a spread of values. The machine must
        // either return a result or throw a PickleError — never crash, hang or throw anything else.
        let valid = try torchPickle("hostile/pickle/valid.bin")
        var outcomes = (loaded: 0, refused: 0)
        for position in valid.indices {
            for replacement: UInt8 in [0x00, 0x28, 0x2E, 0x51, 0x52, 0x63, 0x68, 0x71, 0x80, 0x8A, 0x93, 0xFF] {
                var mutated = valid
                mutated[position] = replacement
                do {
                    _ = try run(mutated)
                    outcomes.loaded += 1
                } catch is PickleError {
                    outcomes.refused += 1
                }
            }
        }
        #expect(outcomes.loaded + outcomes.refused == valid.count * 12)
        #expect(outcomes.refused > 0 && outcomes.loaded > 0)
    }

    @Test func buildsTensorRecordsFromRebuildCalls() throws {
        var writer = PickleWriter()
        writer.emptyDict()
        writer.string("t")
        writer.global("torch._utils", "_rebuild_parameter")
        writer.mark()
        writer.tensor("BFloat16Storage", key: "3", numel: 12, offset: 2, size: [2, 3], stride: [1, 2])
        writer.op(0x88)
        writer.global("collections", "OrderedDict"); writer.emptyTuple(); writer.reduce()
        writer.tuple(); writer.reduce()
        writer.setItem(); writer.stop()
        let result = try run(writer.bytes)
        guard case let .dict(root)? = result.object(result.root),
              case let .tensor(record)? = try result.object(#require(root[.string("t")])) else {
            Issue.record("no tensor"); return
        }
        #expect(record.dtype == .bf16)
        #expect(record.storage.key == "3" && record.storage.location == "cpu" && record.storage.elementCount == 12)
        #expect(record.storageOffset == 2 && record.size == [2, 3] && record.stride == [1, 2])

        // BUILD on a tensor is refused; a persistent id that is not a storage tuple too.
        var build = PickleWriter()
        build.tensor("FloatStorage", key: "0", numel: 4, offset: 0, size: [4], stride: [1])
        build.emptyDict(); build.op(0x62); build.stop()
        #expect(expectZipPickleThrows(PickleError.self) { _ = try run(build.bytes) }.map { "\($0)" }?.contains("BUILD on a tensor") == true)
        var pid = PickleWriter()
        pid.mark(); pid.string("module"); pid.string("x"); pid.tuple(); pid.op(0x51); pid.stop()
        #expect(expectZipPickleThrows(PickleError.self) { _ = try run(pid.bytes) }.map { "\($0)" }?.contains("not a torch storage reference") == true)
    }
}
