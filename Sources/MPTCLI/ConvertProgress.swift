import Foundation
import MPTGraph

/// Counts a conversion's progress in weights: the exporters report each tensor's name as its
/// writing starts, so a tensor counts as done when the next one starts (or at the end).
final class ConvertProgress: @unchecked Sendable {
    /// Weights in the whole model.
    let total: Int
    private let weightsByName: [String: Int]
    private let lock = NSLock()
    private var current = 0
    private var counted = 0

    init(model: MPTModel) {
        var byName: [String: Int] = [:]
        for tensor in model.orderedTensors {
            guard let shape = model.tensors[tensor]?.shape else { continue }
            byName[tensor.name] = shape.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
        }
        weightsByName = byName
        total = byName.values.reduce(0, &+)
    }

    /// The weights of the tensor that was being written, now that `name` starts.
    func previous(startingNext name: String) -> Int {
        lock.lock()
        defer { lock.unlock() }
        let finished = current
        current = weightsByName[name] ?? 0
        counted &+= finished
        return finished
    }

    /// The weights not yet reported (the last tensor), once the conversion has finished.
    var remaining: Int {
        lock.lock()
        defer { lock.unlock() }
        return max(0, total - counted)
    }
}
