import MPTCore

/// The tensors of one checkpoint as a reader found them, whatever the file format: names in file
/// order, zero-copy views, and string metadata. Sharded checkpoints merge into one collection.
public struct TensorCollection: Sendable {
    /// Tensor names in the order the files list them (shard by shard).
    public private(set) var names: [String]
    /// Views by name.
    public private(set) var tensors: [String: TensorView]
    /// Free-form string metadata (safetensors `__metadata__`, for example).
    public var metadata: [String: String]
    /// The file or directory the tensors came from, for messages.
    public var origin: String

    /// An empty collection.
    public init(origin: String) {
        self.names = []
        self.tensors = [:]
        self.metadata = [:]
        self.origin = origin
    }

    /// Adds a tensor; a name that is already present is an error (never silently replaced).
    public mutating func add(_ name: String, _ view: TensorView) throws {
        guard tensors[name] == nil else { throw FormatError.duplicateTensor(name) }
        tensors[name] = view
        names.append(name)
    }

    /// Adds every tensor of `other` (duplicates are an error).
    public mutating func merge(_ other: TensorCollection) throws {
        for name in other.names {
            guard let view = other.tensors[name] else { continue }
            try add(name, view)
        }
        for (key, value) in other.metadata where metadata[key] == nil { metadata[key] = value }
    }

    /// The view for `name`, if present.
    public subscript(name: String) -> TensorView? { tensors[name] }

    /// Number of tensors.
    public var count: Int { names.count }
}

/// Errors shared by every format reader.
public enum FormatError: Error, Sendable, CustomStringConvertible {
    /// Two tensors with one name (within a file, or across shards).
    case duplicateTensor(String)
    /// An index json names a shard or tensor that is not there.
    case badIndex(String)
    /// The path is neither a known file format nor a model directory.
    case unrecognized(String)

    public var description: String {
        switch self {
        case let .duplicateTensor(name): return "tensor '\(name)' appears more than once"
        case let .badIndex(why): return "bad shard index: \(why)"
        case let .unrecognized(why): return why
        }
    }
}
