import ArgumentParser
import MPTCore
import MPTQuant
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

/// Runs a tool body; any error becomes a one-line `error: …` message (with the flag that helps,
/// when one does) and exit status 2.
public func runReportingErrors(tool: String, _ body: () throws -> Void) throws {
    do {
        try body()
    } catch let exit as ExitCode {
        throw exit
    } catch {
        let hint = FlagHint.hint(for: error).map { " (\($0))" } ?? ""
        printError("\(tool): error: \(error)\(hint)")
        throw ExitCode(ToolExit.badInput)
    }
}

/// The command-line flag that gets past an error, for errors of lower layers (which do not
/// know the flags).
enum FlagHint {
    /// The hint for `error` (looking through `FileError`), or nil.
    static func hint(for error: any Error) -> String? {
        switch error {
        case let error as FileError:
            return hint(for: error.underlying)
        case CoreError.alreadyExists:
            return "use --force to replace it"
        case ConversionError.nonFinite, ConversionError.overflow:
            return "use --allow-nonfinite to keep them"
        case GGUFExportError.requantize:
            return "use --allow-requantize to re-quantize it"
        default:
            return nil
        }
    }
}
