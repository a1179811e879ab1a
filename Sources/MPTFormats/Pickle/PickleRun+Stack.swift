import MPTCore

/// Stack, memo, container and byte-reading helpers of the pickle machine.
extension PickleRun {
    func limit(_ what: String, _ value: Int) -> PickleError {
        .limitExceeded(what: what, limit: value, offset: opcodeOffset)
    }

    mutating func push(_ value: PickleValue) throws {
        guard stack.count < limits.maxStackSize else { throw limit("stack size", limits.maxStackSize) }
        stack.append(value)
    }

    mutating func pop(_ opcode: String) throws -> PickleValue {
        if let mark = marks.last, mark >= stack.count {
            throw PickleError.stackUnderflow(opcode: opcode, offset: opcodeOffset)
        }
        guard let value = stack.popLast() else { throw PickleError.stackUnderflow(opcode: opcode, offset: opcodeOffset) }
        return value
    }

    /// The top value, which must lie above the topmost MARK (as in CPython, where a MARK starts
    /// a fresh stack).
    func peek(_ opcode: String) throws -> PickleValue {
        guard let top = stack.last, marks.last.map({ $0 < stack.count }) ?? true else {
            throw PickleError.stackUnderflow(opcode: opcode, offset: opcodeOffset)
        }
        return top
    }

    /// Removes and returns everything above the topmost MARK.
    mutating func popMark(_ opcode: String) throws -> [PickleValue] {
        guard let mark = marks.popLast() else { throw PickleError.missingMark(opcode: opcode, offset: opcodeOffset) }
        guard mark <= stack.count else { throw PickleError.stackUnderflow(opcode: opcode, offset: opcodeOffset) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    mutating func memoize(_ index: Int) throws {
        let top = try peek("PUT")
        if memo[index] == nil, memo.count >= limits.maxMemoSize { throw limit("memo size", limits.maxMemoSize) }
        memo[index] = top
    }

    mutating func recall(_ index: Int) throws {
        guard let value = memo[index] else { throw PickleError.missingMemo(index: index, offset: opcodeOffset) }
        try push(value)
    }

    /// Adds an object whose children are `children`, enforcing the nesting limit.
    mutating func makeObject(_ object: PickleObject, children: [PickleValue]) throws -> PickleValue {
        let childDepth = children.reduce(0) { max($0, heap.depth(of: $1)) }
        guard childDepth < limits.maxDepth else { throw limit("nesting depth", limits.maxDepth) }
        return .object(heap.add(object, childDepth: childDepth))
    }

    func dictionary(from items: [PickleValue], opcode: String) throws -> PickleDictionary {
        guard items.count % 2 == 0 else {
            throw PickleError.typeMismatch(expected: "key/value pairs for \(opcode)", found: "\(items.count) values", offset: opcodeOffset)
        }
        var dictionary = PickleDictionary()
        for pair in stride(from: 0, to: items.count, by: 2) { dictionary.set(items[pair], items[pair + 1]) }
        return dictionary
    }

    /// Appends to the list on top of the stack.
    mutating func append(_ items: [PickleValue], opcode: String) throws {
        let target = try containerOnTop(opcode)
        let childDepth = items.reduce(0) { max($0, heap.depth(of: $1)) }
        guard childDepth < limits.maxDepth else { throw limit("nesting depth", limits.maxDepth) }
        let offset = opcodeOffset
        if case .placeholder = heap[target] { return }  // e.g. a deque: its items are never read
        try heap.update(target, childDepth: childDepth) { object in
            guard case var .list(list) = object else {
                throw PickleError.typeMismatch(expected: "a list for \(opcode)", found: object.kindName, offset: offset)
            }
            object = .tuple([])
            list.append(contentsOf: items)
            object = .list(list)
        }
    }

    /// Sets key/value pairs on the dict on top of the stack.
    mutating func setItems(_ items: [PickleValue], opcode: String) throws {
        let target = try containerOnTop(opcode)
        guard items.count % 2 == 0 else {
            throw PickleError.typeMismatch(expected: "key/value pairs for \(opcode)", found: "\(items.count) values", offset: opcodeOffset)
        }
        let childDepth = items.reduce(0) { max($0, heap.depth(of: $1)) }
        guard childDepth < limits.maxDepth else { throw limit("nesting depth", limits.maxDepth) }
        let offset = opcodeOffset
        if case .placeholder = heap[target] { return }  // e.g. a defaultdict: its items are never read
        try heap.update(target, childDepth: childDepth) { object in
            guard case var .dict(dictionary) = object else {
                throw PickleError.typeMismatch(expected: "a dict for \(opcode)", found: object.kindName, offset: offset)
            }
            object = .tuple([])
            for pair in stride(from: 0, to: items.count, by: 2) { dictionary.set(items[pair], items[pair + 1]) }
            object = .dict(dictionary)
        }
    }

    private func containerOnTop(_ opcode: String) throws -> PickleObjectID {
        let top = try peek(opcode)
        guard case let .object(id) = top else {
            throw PickleError.typeMismatch(expected: "a container for \(opcode)", found: top.kindName, offset: opcodeOffset)
        }
        return id
    }

    /// Converts a length read from the stream, refusing it when longer than what remains or than `cap`.
    func readLength(_ raw: UInt64, what: String, cap: Int? = nil) throws -> Int {
        let cap = cap ?? limits.maxStringLength
        guard let length = Int(exactly: raw), length <= cap else { throw limit(what, cap) }
        guard length <= cursor.remaining else { throw PickleError.truncated(offset: opcodeOffset) }
        return length
    }

    mutating func readText(_ length: Int) throws -> String {
        guard length <= limits.maxStringLength else { throw limit("string length", limits.maxStringLength) }
        guard let text = try cursor.readUTF8(length) else { throw PickleError.invalidText(offset: opcodeOffset) }
        return text
    }

    /// A little-endian two's-complement integer of `byteCount` bytes (LONG1/LONG4), up to 64 bits.
    mutating func readLong(byteCount: Int) throws -> Int64 {
        guard byteCount <= 8 else {
            try cursor.require(byteCount)
            throw PickleError.integerTooLarge(offset: opcodeOffset)
        }
        guard byteCount > 0 else { return 0 }
        let bytes = try cursor.readBytes(byteCount)
        var value: UInt64 = 0
        for (index, byte) in bytes.enumerated() { value |= UInt64(byte) << (8 * UInt64(index)) }
        if byteCount < 8, bytes[byteCount - 1] & 0x80 != 0 {
            value |= UInt64.max << (8 * UInt64(byteCount))  // sign-extend
        }
        return Int64(bitPattern: value)
    }

    /// One newline-terminated line (GLOBAL operands), at most 256 bytes.
    mutating func readLine() throws -> String {
        let maxLine = 256
        var bytes: [UInt8] = []
        while true {
            let byte = try cursor.readUInt8()
            if byte == 0x0A { break }
            guard bytes.count < maxLine else { throw limit("global name length", maxLine) }
            bytes.append(byte)
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw PickleError.invalidText(offset: opcodeOffset) }
        return text
    }
}
