import MPTCore

/// A pickle evaluator that never imports or calls anything: it implements the opcodes torch
/// checkpoints use, treats globals as data checked against `PickleGlobal`'s allow-list, and
/// builds tensors from `_rebuild_tensor_v2`/`_v3` calls as plain records.
///
/// It runs in a loop (no recursion on input-controlled depth), checks every length against the
/// bytes that remain before allocating, and enforces `PickleLimits` on stack, memo and nesting.
/// Memo hits share heap objects instead of copying them.
public struct PickleMachine: Sendable {
    /// The limits applied to every evaluation.
    public let limits: PickleLimits
    /// What a global outside the allow-list becomes.
    public let unknownGlobals: PickleGlobalPolicy

    /// A machine with the given limits; by default a global outside the allow-list is an error.
    public init(limits: PickleLimits = .default, unknownGlobals: PickleGlobalPolicy = .allowListOnly) {
        self.limits = limits
        self.unknownGlobals = unknownGlobals
    }

    /// Evaluates the pickle in `storage[start..<end]` up to its STOP opcode.
    public func evaluate(_ storage: ByteStorage, start: Int = 0, end: Int? = nil) throws -> PickleResult {
        var run = try PickleRun(cursor: ByteCursor(storage, start: start, end: end), limits: limits, unknownGlobals: unknownGlobals)
        let root = try run.execute()
        return PickleResult(heap: run.heap, root: root)
    }

    /// Evaluates pickle bytes held in memory.
    public func evaluate(bytes: [UInt8]) throws -> PickleResult {
        try evaluate(ByteStorage(copying: bytes, origin: "pickle bytes"))
    }
}

/// What a pickle evaluated to: the root value and the heap its objects live in.
public struct PickleResult: Sendable {
    /// Every object built.
    public let heap: PickleHeap
    /// The value STOP returned.
    public let root: PickleValue

    /// The heap object behind `value`, if it is one.
    public func object(_ value: PickleValue) -> PickleObject? {
        if case let .object(id) = value { return heap[id] }
        return nil
    }
}

/// The mutable state of one evaluation.
struct PickleRun {
    var cursor: ByteCursor
    let limits: PickleLimits
    let unknownGlobals: PickleGlobalPolicy
    var heap = PickleHeap()
    var stack: [PickleValue] = []
    var marks: [Int] = []
    var memo: [Int: PickleValue] = [:]
    /// Offset of the opcode being executed, for messages.
    var opcodeOffset = 0

    init(cursor: ByteCursor, limits: PickleLimits, unknownGlobals: PickleGlobalPolicy) {
        self.cursor = cursor
        self.limits = limits
        self.unknownGlobals = unknownGlobals
    }

    mutating func execute() throws -> PickleValue {
        do {
            while true {
                opcodeOffset = cursor.offset
                guard !cursor.isAtEnd else { throw PickleError.truncated(offset: opcodeOffset) }
                let code = try cursor.readUInt8()
                guard let opcode = PickleOpcode(rawValue: code) else {
                    throw PickleError.unsupportedOpcode(code, offset: opcodeOffset)
                }
                if opcode == .stop {
                    guard stack.count == 1, let root = stack.first else {
                        throw PickleError.badFinalStack(count: stack.count, offset: opcodeOffset)
                    }
                    return root
                }
                try step(opcode)
            }
        } catch let error as CoreError {
            if case .truncated = error { throw PickleError.truncated(offset: opcodeOffset) }
            throw error
        }
    }

    private mutating func step(_ opcode: PickleOpcode) throws {
        switch opcode {
        case .stop: return
        case .proto:
            let version = Int(try cursor.readUInt8())
            guard version <= 5 else { throw PickleError.unsupportedProtocol(version, offset: opcodeOffset) }
        case .frame:
            _ = try readLength(try cursor.readUInt64LE(), what: "frame length", cap: Int.max)
        case .mark:
            guard marks.count < limits.maxDepth else { throw limit("nesting depth", limits.maxDepth) }
            marks.append(stack.count)
        case .pop:
            if let mark = marks.last, mark == stack.count {
                marks.removeLast()  // POP of an empty mark region discards the mark, as in CPython
            } else {
                _ = try pop("POP")
            }
        case .popMark:
            _ = try popMark("POP_MARK")
        case .dup:
            try push(try peek("DUP"))

        case .none: try push(.none)
        case .newTrue: try push(.bool(true))
        case .newFalse: try push(.bool(false))
        case .binInt: try push(.int(Int64(try cursor.readInt32LE())))
        case .binInt1: try push(.int(Int64(try cursor.readUInt8())))
        case .binInt2: try push(.int(Int64(try cursor.readUInt16LE())))
        case .long1: try push(.int(try readLong(byteCount: Int(try cursor.readUInt8()))))
        case .long4:
            let count = try cursor.readInt32LE()
            guard count >= 0 else { throw PickleError.integerTooLarge(offset: opcodeOffset) }
            try push(.int(try readLong(byteCount: Int(count))))
        case .binFloat: try push(.float(try cursor.readFloat64BE()))

        case .shortBinString, .shortBinUnicode:
            try push(.string(try readText(Int(try cursor.readUInt8()))))
        case .binString, .binUnicode:
            try push(.string(try readText(try readLength(UInt64(try cursor.readUInt32LE()), what: "string length"))))
        case .binUnicode8:
            try push(.string(try readText(try readLength(try cursor.readUInt64LE(), what: "string length"))))
        case .shortBinBytes:
            try push(.bytes(try cursor.readBytes(Int(try cursor.readUInt8()))))
        case .binBytes:
            try push(.bytes(try cursor.readBytes(try readLength(UInt64(try cursor.readUInt32LE()), what: "bytes length"))))
        case .binBytes8:
            try push(.bytes(try cursor.readBytes(try readLength(try cursor.readUInt64LE(), what: "bytes length"))))

        case .emptyTuple: try push(try makeObject(.tuple([]), children: []))
        case .tuple1, .tuple2, .tuple3:
            let count = Int(opcode.rawValue - PickleOpcode.tuple1.rawValue) + 1
            // Only values above the topmost MARK count (a MARK starts a fresh stack, as in CPython).
            guard stack.count - (marks.last ?? 0) >= count else {
                throw PickleError.stackUnderflow(opcode: "TUPLE\(count)", offset: opcodeOffset)
            }
            let items = Array(stack.suffix(count))
            stack.removeLast(count)
            try push(try makeObject(.tuple(items), children: items))
        case .tuple:
            let items = try popMark("TUPLE")
            try push(try makeObject(.tuple(items), children: items))
        case .emptyList: try push(try makeObject(.list([]), children: []))
        case .list:
            let items = try popMark("LIST")
            try push(try makeObject(.list(items), children: items))
        case .emptyDict: try push(try makeObject(.dict(PickleDictionary()), children: []))
        case .dict:
            let items = try popMark("DICT")
            let pairs = try dictionary(from: items, opcode: "DICT")
            try push(try makeObject(.dict(pairs), children: items))
        case .append:
            let item = try pop("APPEND")
            try append([item], opcode: "APPEND")
        case .appends:
            let items = try popMark("APPENDS")
            try append(items, opcode: "APPENDS")
        case .setItem:
            let value = try pop("SETITEM")
            let key = try pop("SETITEM")
            try setItems([key, value], opcode: "SETITEM")
        case .setItems:
            let items = try popMark("SETITEMS")
            try setItems(items, opcode: "SETITEMS")

        case .binPut: try memoize(Int(try cursor.readUInt8()))
        case .longBinPut: try memoize(Int(try cursor.readUInt32LE()))
        case .memoize: try memoize(memo.count)
        case .binGet: try recall(Int(try cursor.readUInt8()))
        case .longBinGet: try recall(Int(try cursor.readUInt32LE()))

        case .global:
            let module = try readLine()
            let name = try readLine()
            try pushGlobal(module: module, name: name)
        case .stackGlobal:
            let name = try pop("STACK_GLOBAL")
            let module = try pop("STACK_GLOBAL")
            guard case let .string(moduleText) = module, case let .string(nameText) = name else {
                throw PickleError.typeMismatch(expected: "two strings for STACK_GLOBAL", found: "\(module.kindName) and \(name.kindName)", offset: opcodeOffset)
            }
            try pushGlobal(module: moduleText, name: nameText)
        case .binPersID:
            let id = try pop("BINPERSID")
            try push(try makeObject(.storage(try storageReference(from: id)), children: []))
        case .reduce:
            let arguments = try pop("REDUCE")
            let callable = try pop("REDUCE")
            try push(try reduce(callable, arguments))
        case .newObj:
            let arguments = try pop("NEWOBJ")
            let type = try pop("NEWOBJ")
            try push(try newObject(type, arguments))
        case .build:
            let state = try pop("BUILD")
            try build(try peek("BUILD"), state: state)
        }
    }
}
