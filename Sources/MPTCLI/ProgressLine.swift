import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One progress line on standard error — work done / total, throughput, ETA, the current item —
/// shown only when standard error is a terminal and the user did not ask for `--quiet`. The
/// line is redrawn at most ten times a second; `finish()` draws the final state and ends the
/// line, so the terminal keeps a record of what ran and how fast.
final class ProgressLine: @unchecked Sendable {
    /// What the work is counted in, for the throughput (`12.3 M weights/s`, `45.6 tokens/s`).
    struct Unit: Sendable {
        let singular: String
        let plural: String
        /// Throughput and totals use M/k prefixes (weights) or plain numbers (tokens, chunks).
        let scaled: Bool

        static let weights = Unit(singular: "weight", plural: "weights", scaled: true)
        static let tokens = Unit(singular: "token", plural: "tokens", scaled: false)
        static let chunks = Unit(singular: "chunk", plural: "chunks", scaled: false)
        static let layers = Unit(singular: "layer", plural: "layers", scaled: false)
    }

    private let title: String
    private let total: Int
    private let unit: Unit
    private let enabled: Bool
    private let lock = NSLock()
    private var done = 0
    private var label = ""
    private let started = Date()
    private var lastDrawn: Date?
    private var finished = false

    /// A line for `total` units of work; `enabled: false` (not a terminal, or `--quiet`) draws nothing.
    init(_ title: String, total: Int, unit: Unit, enabled: Bool) {
        self.title = title
        self.total = max(total, 1)
        self.unit = unit
        self.enabled = enabled
    }

    /// A line shown when standard error is a terminal, unless `quiet`.
    convenience init(_ title: String, total: Int, unit: Unit, quiet: Bool) {
        self.init(title, total: total, unit: unit, enabled: !quiet && isatty(2) != 0)
    }

    /// Records `amount` more units done, working on `item` next.
    func advance(by amount: Int, item: String = "") {
        lock.lock()
        defer { lock.unlock() }
        done = min(total, done + max(0, amount))
        label = item
        guard enabled, !finished else { return }
        let now = Date()
        if let lastDrawn, now.timeIntervalSince(lastDrawn) < 0.1, done < total { return }
        lastDrawn = now
        emit("\r" + render(now: now, final: false) + "\u{1B}[K")
    }

    /// Draws the final state and ends the line (nothing when disabled).
    func finish() {
        lock.lock()
        defer { lock.unlock() }
        guard enabled, !finished else { return }
        finished = true
        emit("\r" + render(now: Date(), final: true) + "\u{1B}[K\n")
    }

    /// `mpt-convert [##########..........] 50% 7/14 M weights · 12.3 M weights/s · ETA 0:04 · name`.
    func render(now: Date, final: Bool) -> String {
        let elapsed = max(now.timeIntervalSince(started), 1e-6)
        let fraction = Double(done) / Double(total)
        let width = 20
        let filled = min(width, Int(fraction * Double(width)))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        var parts = ["\(title) [\(bar)] \(Int(fraction * 100))% \(amount(done))/\(amount(total)) \(unit.plural)"]
        parts.append("\(amount(Int(Double(done) / elapsed))) \(unit.plural)/s")
        if final {
            parts.append("done in \(Self.duration(elapsed))")
        } else if done > 0 {
            parts.append("ETA \(Self.duration(elapsed * Double(total - done) / Double(done)))")
        }
        if !final, !label.isEmpty { parts.append(String(label.prefix(48))) }
        return parts.joined(separator: " · ")
    }

    private func amount(_ value: Int) -> String {
        guard unit.scaled else { return String(value) }
        if value >= 1_000_000_000 { return Self.oneDecimal(Double(value) / 1e9) + " G" }
        if value >= 1_000_000 { return Self.oneDecimal(Double(value) / 1e6) + " M" }
        if value >= 10_000 { return Self.oneDecimal(Double(value) / 1e3) + " k" }
        return String(value)
    }

    private static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// `0:07`, `12:34`, `1:02:03`.
    static func duration(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded(.up))
        let (hours, minutes, secs) = (whole / 3600, whole / 60 % 60, whole % 60)
        let twoDigits = { (value: Int) in value < 10 ? "0\(value)" : "\(value)" }
        return hours > 0 ? "\(hours):\(twoDigits(minutes)):\(twoDigits(secs))" : "\(minutes):\(twoDigits(secs))"
    }

    private func emit(_ text: String) {
        var bytes = Array(text.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            if let base = buffer.baseAddress { _ = write(2, base, buffer.count) }
        }
    }
}
