/// A value on the pickle machine's stack or in its memo. Containers live in a `PickleHeap` and are
/// referred to by id, so memo hits and shared objects cost nothing to copy, aliasing behaves as in
/// Python, and no value is deeply nested in Swift memory (nothing recurses when it is freed).
public enum PickleValue: Sendable, Hashable {
    /// `None`.
    case none
    /// `True` / `False`.
    case bool(Bool)
    /// An integer that fits in 64 bits.
    case int(Int64)
    /// A float.
    case float(Double)
    /// A `str`.
    case string(String)
    /// A `bytes` value.
    case bytes([UInt8])
    /// A container or special object in the heap.
    case object(PickleObjectID)

    /// A short name of the kind of value, for messages.
    public var kindName: String {
        switch self {
        case .none: return "None"
        case .bool: return "a bool"
        case .int: return "an int"
        case .float: return "a float"
        case .string: return "a string"
        case .bytes: return "bytes"
        case .object: return "an object"
        }
    }
}

/// The index of an object in a `PickleHeap`.
public struct PickleObjectID: Sendable, Hashable {
    /// Position in `PickleHeap.objects`.
    public let index: Int
}

/// A heap object built by the pickle machine.
public enum PickleObject: Sendable {
    /// A tuple (immutable).
    case tuple([PickleValue])
    /// A list.
    case list([PickleValue])
    /// A dict or OrderedDict (insertion order kept).
    case dict(PickleDictionary)
    /// An allow-listed global, as data.
    case global(PickleGlobal)
    /// A torch storage named by a persistent id.
    case storage(TorchStorageReference)
    /// A tensor built by `_rebuild_tensor_v2`/`_v3` (or a parameter wrapping one).
    case tensor(TorchTensorRecord)
    /// An object outside the allow-list, kept inert (only under `PickleGlobalPolicy.placeholdersOutsideAllowList`).
    case placeholder(PicklePlaceholder)

    /// A short name of the kind of object, for messages.
    public var kindName: String {
        switch self {
        case .tuple: return "a tuple"
        case .list: return "a list"
        case .dict: return "a dict"
        case let .global(global): return "the global \(global)"
        case .storage: return "a storage"
        case .tensor: return "a tensor"
        case let .placeholder(placeholder): return "a placeholder for '\(placeholder.global)'"
        }
    }
}

/// An insertion-ordered dictionary with pickle values as keys (a later SETITEM replaces the value,
/// as in Python).
public struct PickleDictionary: Sendable {
    /// Keys in insertion order.
    public private(set) var keys: [PickleValue] = []
    /// Values, parallel to `keys`.
    public private(set) var values: [PickleValue] = []
    private var positions: [PickleValue: Int] = [:]

    /// An empty dictionary.
    public init() {}

    /// Sets `key` to `value`.
    public mutating func set(_ key: PickleValue, _ value: PickleValue) {
        if let position = positions[key] {
            values[position] = value
        } else {
            positions[key] = keys.count
            keys.append(key)
            values.append(value)
        }
    }

    /// The value for `key`.
    public subscript(key: PickleValue) -> PickleValue? {
        positions[key].map { values[$0] }
    }

    /// Number of entries.
    public var count: Int { keys.count }
}

/// The objects a pickle built, with the nesting depth of each (checked against `PickleLimits`).
public struct PickleHeap: Sendable {
    /// All objects, by `PickleObjectID.index`.
    public private(set) var objects: [PickleObject] = []
    private var depths: [Int] = []

    /// An empty heap.
    public init() {}

    /// The object with `id`.
    public subscript(id: PickleObjectID) -> PickleObject { objects[id.index] }

    /// The nesting depth of `value`: 0 for scalars, 1 + deepest child for containers.
    func depth(of value: PickleValue) -> Int {
        if case let .object(id) = value { return depths[id.index] }
        return 0
    }

    /// Stores `object` whose deepest child has depth `childDepth`.
    mutating func add(_ object: PickleObject, childDepth: Int) -> PickleObjectID {
        objects.append(object)
        depths.append(childDepth + 1)
        return PickleObjectID(index: objects.count - 1)
    }

    /// Mutates the object with `id` in place (no copy of its storage) and raises its depth to
    /// cover a newly added child; returns the new depth.
    @discardableResult
    mutating func update(_ id: PickleObjectID, childDepth: Int, _ body: (inout PickleObject) throws -> Void) rethrows -> Int {
        var object = objects[id.index]
        objects[id.index] = .tuple([])
        defer { objects[id.index] = object }
        try body(&object)
        depths[id.index] = max(depths[id.index], childDepth + 1)
        return depths[id.index]
    }
}
