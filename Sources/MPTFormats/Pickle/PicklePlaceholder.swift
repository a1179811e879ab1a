/// What the pickle machine does with a global that is not on `PickleGlobal`'s allow-list.
public enum PickleGlobalPolicy: Sendable, Equatable {
    /// Refuse it at the GLOBAL opcode (every checkpoint, unless a caller knows better).
    case allowListOnly
    /// Keep it as an inert `PicklePlaceholder`: calling, instantiating or filling it builds more
    /// placeholders, never code. A caller that uses this must then prove that nothing it reads
    /// (the weights) reaches a placeholder; see `PickleResult.firstPlaceholder(reachableFrom:)`.
    /// Used only for files recognized as Composer checkpoints, whose optimizer, RNG and
    /// timestamp state name NumPy, datetime and Composer classes around the weights.
    case placeholdersOutsideAllowList
}

/// An object outside the allow-list, kept as data: the global it came from and where it was named.
public struct PicklePlaceholder: Sendable, Hashable {
    /// The dotted global, e.g. `numpy.dtype`.
    public let global: String
    /// Byte offset of the GLOBAL opcode that named it.
    public let offset: Int
}

extension PickleResult {
    /// The first placeholder reachable from `value` through tuples, lists and dicts (keys and
    /// values), or `nil` when `value` is built from allow-listed objects only. Iterative: no
    /// recursion on the file's nesting.
    public func firstPlaceholder(reachableFrom value: PickleValue) -> PicklePlaceholder? {
        var pending = [value]
        var visited: Set<PickleObjectID> = []
        while let next = pending.popLast() {
            guard case let .object(id) = next, visited.insert(id).inserted else { continue }
            switch heap[id] {
            case let .placeholder(placeholder): return placeholder
            case let .tuple(items), let .list(items): pending.append(contentsOf: items.reversed())
            case let .dict(dictionary):
                for position in (0..<dictionary.count).reversed() {
                    pending.append(dictionary.values[position])
                    pending.append(dictionary.keys[position])
                }
            case .global, .storage, .tensor: continue
            }
        }
        return nil
    }
}
