import Foundation

/// Paths shared by the tests.
enum TestPaths {
    /// The package root (three levels above this file).
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Fixtures/<relative>`.
    static func fixture(_ relative: String) -> String {
        packageRoot.appendingPathComponent("Fixtures").appendingPathComponent(relative).path
    }

    /// `Fixtures/models/<name>`.
    static func model(_ name: String) -> String { fixture("models/" + name) }

    /// A fresh temporary directory, removed by the caller with `removeItem`.
    static func temporaryDirectory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("mptkit-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    /// A built executable of this package (next to the test bundle).
    static func executable(_ name: String) -> String {
        let runner = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = runner.deletingLastPathComponent()
        // The runner may live inside `X.xctest/Contents/MacOS` or directly in the build folder.
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate.path }
            directory = directory.deletingLastPathComponent()
        }
        return packageRoot.appendingPathComponent(".build/debug/\(name)").path
    }
}

/// The result of running one of our executables.
struct ToolRun {
    var status: Int32
    var standardOutput: String
    var standardError: String
}

/// Runs a built tool with arguments (and extra environment variables) and captures its output.
func runTool(_ name: String, _ arguments: [String], environment: [String: String] = [:]) throws -> ToolRun {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: TestPaths.executable(name))
    process.arguments = arguments
    if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return ToolRun(status: process.terminationStatus,
                   standardOutput: String(decoding: outData, as: UTF8.self),
                   standardError: String(decoding: errData, as: UTF8.self))
}
