import MPTCore

/// Walks the pickled object graph of a checkpoint to its tensors, iteratively and depth-limited.
enum PyTorchStateDict {
    /// `(dotted name, tensor)` for every tensor reachable through string-keyed dicts from `root`
    /// (the pickle's root by default): a dict's own tensors in key order, then those of its sub-dicts.
    static func tensors(in result: PickleResult, from root: PickleValue? = nil, maxDepth: Int) throws -> [(String, TorchTensorRecord)] {
        let start = root ?? result.root
        guard case let .object(rootID) = start, case .dict = result.heap[rootID] else {
            let found = result.object(start)?.kindName ?? start.kindName
            throw PyTorchError.rootNotDictionary(found: found)
        }
        var found: [(String, TorchTensorRecord)] = []
        var visited: Set<PickleObjectID> = [rootID]
        // Depth-first with an explicit stack; children are pushed in reverse to keep file order.
        var pending: [(path: String, id: PickleObjectID, depth: Int)] = [("", rootID, 1)]
        while let (path, id, depth) = pending.popLast() {
            guard case let .dict(dictionary) = result.heap[id] else { continue }
            var children: [(String, PickleObjectID, Int)] = []
            var leaves: [(String, TorchTensorRecord)] = []
            for (position, key) in dictionary.keys.enumerated() {
                guard case let .string(name) = key else {
                    throw PyTorchError.nonStringKey(path: path, found: result.object(key)?.kindName ?? key.kindName)
                }
                let fullName = path.isEmpty ? name : path + "." + name
                guard case let .object(childID) = dictionary.values[position] else { continue }
                switch result.heap[childID] {
                case let .tensor(record):
                    leaves.append((fullName, record))
                case .dict:
                    guard depth < maxDepth else { throw PyTorchError.nestingTooDeep(path: fullName, limit: maxDepth) }
                    guard visited.insert(childID).inserted else { throw PyTorchError.repeatedDictionary(path: fullName) }
                    children.append((fullName, childID, depth + 1))
                default:
                    continue
                }
            }
            found.append(contentsOf: leaves)
            pending.append(contentsOf: children.reversed().map { (path: $0.0, id: $0.1, depth: $0.2) })
        }
        return found
    }
}
