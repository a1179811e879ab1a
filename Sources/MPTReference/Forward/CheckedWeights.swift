import Foundation
import MPTGraph

/// The tensors a forward pass (and every copy of it, such as a decoder's steps) has already
/// found finite, so reading a weight in place checks it once, not at every step. Shared by
/// reference; safe across threads.
final class CheckedWeights: @unchecked Sendable {
    private var tensors: Set<CanonicalTensor> = []
    private let lock = NSLock()

    /// True when `tensor` has not been checked yet.
    func needsCheck(_ tensor: CanonicalTensor) -> Bool {
        lock.lock(); defer { lock.unlock() }
        return !tensors.contains(tensor)
    }

    /// Records that `tensor` holds no NaN or ±infinity.
    func markChecked(_ tensor: CanonicalTensor) {
        lock.lock(); defer { lock.unlock() }
        tensors.insert(tensor)
    }
}
