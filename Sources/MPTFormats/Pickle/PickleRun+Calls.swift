import MPTCore

/// GLOBAL, REDUCE, NEWOBJ, BUILD and BINPERSID: the opcodes that would run code in Python. Here
/// they only ever build data from allow-listed globals.
extension PickleRun {
    mutating func pushGlobal(module: String, name: String) throws {
        guard let global = PickleGlobal(module: module, name: name) else {
            guard unknownGlobals == .placeholdersOutsideAllowList else {
                throw PickleError.forbiddenGlobal("\(module).\(name)", offset: opcodeOffset)
            }
            try push(try makeObject(.placeholder(PicklePlaceholder(global: "\(module).\(name)", offset: opcodeOffset)), children: []))
            return
        }
        try push(try makeObject(.global(global), children: []))
    }

    /// The placeholder behind `value`, if it is one.
    func placeholder(_ value: PickleValue) -> PicklePlaceholder? {
        guard case let .object(id) = value, case let .placeholder(placeholder) = heap[id] else { return nil }
        return placeholder
    }

    private func global(_ value: PickleValue, use: String) throws -> PickleGlobal {
        guard case let .object(id) = value, case let .global(global) = heap[id] else {
            throw PickleError.forbiddenCall("\(use) of \(describe(value))", offset: opcodeOffset)
        }
        return global
    }

    private func describe(_ value: PickleValue) -> String {
        if case let .object(id) = value { return heap[id].kindName }
        return value.kindName
    }

    func tupleItems(_ value: PickleValue, what: String) throws -> [PickleValue] {
        guard case let .object(id) = value, case let .tuple(items) = heap[id] else {
            throw PickleError.typeMismatch(expected: "a tuple for \(what)", found: describe(value), offset: opcodeOffset)
        }
        return items
    }

    mutating func reduce(_ callable: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        // Calling a placeholder yields another placeholder of the same global: nothing runs, and
        // the arguments are dropped (they are never read).
        if let placeholder = placeholder(callable) {
            return try makeObject(.placeholder(placeholder), children: [])
        }
        let function = try global(callable, use: "REDUCE")
        let items = try tupleItems(arguments, what: "the arguments of \(function)")
        switch function {
        case .orderedDict:
            guard items.isEmpty else {
                throw PickleError.typeMismatch(expected: "no arguments for collections.OrderedDict", found: "\(items.count)", offset: opcodeOffset)
            }
            return try makeObject(.dict(PickleDictionary()), children: [])
        case .rebuildTensorV2:
            guard items.count == 6 || items.count == 7 else {
                throw PickleError.badTensorArguments("_rebuild_tensor_v2 takes 6 or 7 arguments, got \(items.count)", offset: opcodeOffset)
            }
            return try makeObject(.tensor(try tensorRecord(items, explicitDType: nil)), children: [])
        case .rebuildTensorV3:
            guard items.count == 7 || items.count == 8 else {
                throw PickleError.badTensorArguments("_rebuild_tensor_v3 takes 7 or 8 arguments, got \(items.count)", offset: opcodeOffset)
            }
            guard case let .object(id) = items[6], case let .global(.dtype(dtype, _)) = heap[id] else {
                throw PickleError.badTensorArguments("_rebuild_tensor_v3 argument 7 is not a torch dtype", offset: opcodeOffset)
            }
            return try makeObject(.tensor(try tensorRecord(items, explicitDType: dtype)), children: [])
        case .rebuildParameter:
            guard items.count == 3, case let .object(id) = items[0], case .tensor = heap[id] else {
                throw PickleError.badTensorArguments("_rebuild_parameter expects (tensor, requires_grad, hooks)", offset: opcodeOffset)
            }
            return items[0]
        case .storageType, .dtype:
            throw PickleError.forbiddenCall("REDUCE of \(function)", offset: opcodeOffset)
        }
    }

    mutating func newObject(_ type: PickleValue, _ arguments: PickleValue) throws -> PickleValue {
        if let placeholder = placeholder(type) {
            return try makeObject(.placeholder(placeholder), children: [])
        }
        let cls = try global(type, use: "NEWOBJ")
        guard cls == .orderedDict, try tupleItems(arguments, what: "NEWOBJ arguments").isEmpty else {
            throw PickleError.forbiddenCall("NEWOBJ of \(cls)", offset: opcodeOffset)
        }
        return try makeObject(.dict(PickleDictionary()), children: [])
    }

    /// BUILD sets instance state. Only dicts (an OrderedDict's `_metadata` attribute) and
    /// placeholders accept it, and the state is dropped: it never affects tensors.
    func build(_ target: PickleValue, state: PickleValue) throws {
        if placeholder(target) != nil { return }
        guard case let .object(id) = target, case .dict = heap[id] else {
            throw PickleError.forbiddenCall("BUILD on \(describe(target))", offset: opcodeOffset)
        }
    }

    /// `('storage', storage_type, key, location, numel)`.
    func storageReference(from id: PickleValue) throws -> TorchStorageReference {
        let offset = opcodeOffset
        let items = try tupleItems(id, what: "a persistent id")
        guard items.count == 5 else { throw PickleError.badPersistentID("\(items.count) fields instead of 5", offset: offset) }
        guard items[0] == .string("storage") else { throw PickleError.badPersistentID("first field is not 'storage'", offset: offset) }
        guard case let .object(typeID) = items[1], case let .global(.storageType(type)) = heap[typeID] else {
            throw PickleError.badPersistentID("second field is not a storage class", offset: offset)
        }
        guard case let .string(key) = items[2] else { throw PickleError.badPersistentID("key is not a string", offset: offset) }
        guard case let .string(location) = items[3] else { throw PickleError.badPersistentID("location is not a string", offset: offset) }
        guard case let .int(count) = items[4], count >= 0, let elementCount = Int(exactly: count) else {
            throw PickleError.badPersistentID("element count is not a non-negative int", offset: offset)
        }
        return TorchStorageReference(type: type, key: key, location: location, elementCount: elementCount)
    }

    /// `(storage, storage_offset, size, stride, requires_grad, backward_hooks, …)`.
    private func tensorRecord(_ items: [PickleValue], explicitDType: DType?) throws -> TorchTensorRecord {
        let offset = opcodeOffset
        guard case let .object(storageID) = items[0], case let .storage(storage) = heap[storageID] else {
            throw PickleError.badTensorArguments("argument 1 is not a storage", offset: offset)
        }
        guard case let .int(storageOffset) = items[1], storageOffset >= 0, let start = Int(exactly: storageOffset) else {
            throw PickleError.badTensorArguments("storage offset is not a non-negative int", offset: offset)
        }
        let size = try integers(items[2], what: "size")
        let stride = try integers(items[3], what: "stride")
        guard size.count == stride.count else {
            throw PickleError.badTensorArguments("size has \(size.count) dimensions but stride has \(stride.count)", offset: offset)
        }
        let dtype: DType
        if let explicitDType {
            dtype = explicitDType
        } else {
            guard !storage.type.isUntyped else {
                throw PickleError.badTensorArguments("_rebuild_tensor_v2 on an UntypedStorage has no dtype", offset: offset)
            }
            dtype = storage.type.dtype
        }
        return TorchTensorRecord(storage: storage, dtype: dtype, storageOffset: start, size: size, stride: stride)
    }

    private func integers(_ value: PickleValue, what: String) throws -> [Int64] {
        let items = try tupleItems(value, what: "the tensor \(what)")
        return try items.map { item in
            guard case let .int(number) = item else {
                throw PickleError.badTensorArguments("\(what) holds \(item.kindName)", offset: opcodeOffset)
            }
            return number
        }
    }
}
