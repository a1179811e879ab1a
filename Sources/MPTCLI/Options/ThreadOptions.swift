import ArgumentParser

/// `--threads N`: worker threads, shared by every tool that computes in parallel.
public struct ThreadOptions: ParsableArguments, Sendable {
    /// Accepted thread counts.
    public static let range = 1...1024

    @Option(help: "Worker threads (default: the cores this process may use).")
    public var threads: Int = min(AvailableCores.count, ThreadOptions.range.upperBound)

    public init() {}

    public func validate() throws {
        guard Self.range.contains(threads) else {
            throw ValidationError("--threads must be \(Self.range.lowerBound)…\(Self.range.upperBound)")
        }
    }
}
