import ArgumentParser
import MPTCore
#if canImport(Glibc)
import Glibc
#endif

/// Exit statuses shared by the tools.
public enum ToolExit {
    /// Bad input (unreadable or invalid file): status 2 with a one-line message.
    public static let badInput: Int32 = 2
    /// A check that ran but did not pass (e.g. parity outside tolerance): status 1.
    public static let checkFailed: Int32 = 1
}

/// Writes one line to standard error.
public func printError(_ message: String) {
    let line = message.split(whereSeparator: \.isNewline).joined(separator: " ") + "\n"
    var bytes = Array(line.utf8)
    bytes.withUnsafeMutableBytes { buffer in
        guard let base = buffer.baseAddress else { return }
        _ = write(2, base, buffer.count)
    }
}

/// Runs a tool body; any error becomes a one-line `error: …` message and exit status 2.
public func runReportingErrors(tool: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        printError("\(tool): error: \(error)")
        throw ExitCode(ToolExit.badInput)
    }
}
