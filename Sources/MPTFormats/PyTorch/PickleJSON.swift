/// Converts pickled data (a config dict a Composer checkpoint stores) to JSON.
struct PickleJSON {
    let result: PickleResult
    /// Nesting levels converted; the pickle machine's own depth limit already bounds the heap.
    let maxDepth: Int
    /// JSON values produced at most: shared (memoized) objects are expanded each time they are
    /// referenced, so a small pickle could otherwise describe an exponentially large tree.
    var budget = 100_000

    /// `value` as JSON: dicts with string keys become objects, lists and tuples arrays, integers
    /// and floats numbers, `None` null. What JSON cannot hold (bytes, tensors, placeholders,
    /// entries with non-string keys, non-finite floats) becomes null, so the result is validated
    /// like any `config.json`.
    mutating func convert(_ value: PickleValue, depth: Int = 0) throws -> JSONValue {
        guard budget > 0 else { throw PyTorchError.embeddedConfigTooLarge(limit: 100_000) }
        budget -= 1
        switch value {
        case .none: return .null
        case let .bool(flag): return .bool(flag)
        case let .int(number): return .number(String(number))
        case let .float(number): return number.isFinite ? .number("\(number)") : .null
        case let .string(text): return .string(text)
        case .bytes: return .null
        case .object:
            guard depth < maxDepth, let object = result.object(value) else { return .null }
            switch object {
            case let .tuple(items), let .list(items):
                return .array(try items.map { try convert($0, depth: depth + 1) })
            case let .dict(dictionary):
                var members: [(key: String, value: JSONValue)] = []
                for (key, member) in zip(dictionary.keys, dictionary.values) {
                    guard case let .string(name) = key else { continue }
                    members.append((name, try convert(member, depth: depth + 1)))
                }
                return .object(members)
            case .global, .storage, .tensor, .placeholder:
                return .null
            }
        }
    }
}
