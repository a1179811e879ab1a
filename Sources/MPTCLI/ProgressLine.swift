#if canImport(Glibc)
import Glibc
#endif

/// A one-line progress display on standard error, shown only when it is a terminal.
final class ProgressLine: @unchecked Sendable {
    private let total: Int
    private var done = 0
    private let enabled = isatty(2) != 0

    init(total: Int) { self.total = max(total, 1) }

    /// Reports that work on `item` started.
    func step(_ item: String) {
        done += 1
        guard enabled else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        emit("\r[\(bar)] \(done)/\(total) \(item.prefix(50))\u{1B}[K")
    }

    /// Clears the line.
    func finish() {
        if enabled { emit("\r\u{1B}[K") }
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { _ = write(2, base, buffer.count) }
        }
    }
}
