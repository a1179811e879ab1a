import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The number of CPU cores this process may run on.
enum AvailableCores {
    /// `sched_getaffinity`'s CPU set (so `taskset` and container CPU sets count), capped by
    /// Foundation's active processor count (which follows cgroup CPU quotas); at least 1.
    static let count: Int = {
        let active = max(1, ProcessInfo.processInfo.activeProcessorCount)
        guard let affinity = affinityCount() else { return active }
        return max(1, min(active, affinity))
    }()

    /// Bits set in the affinity mask, or nil where `sched_getaffinity` is unavailable. Looked up
    /// at run time: the Glibc module does not export it (it needs `_GNU_SOURCE`).
    private static func affinityCount() -> Int? {
        #if os(Linux)
        typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer?) -> Int32
        guard let symbol = dlsym(nil, "sched_getaffinity") else { return nil }
        let getAffinity = unsafeBitCast(symbol, to: GetAffinity.self)
        var mask = [UInt64](repeating: 0, count: 1024 / 64)
        let status = mask.withUnsafeMutableBytes { getAffinity(0, $0.count, $0.baseAddress) }
        guard status == 0 else { return nil }
        let count = mask.reduce(0) { $0 + $1.nonzeroBitCount }
        return count > 0 ? count : nil
        #else
        return nil
        #endif
    }
}
