import Foundation
import Testing

/// The progress line as a person sees it: tools run inside tmux (a real terminal), the screen
/// read back with `tmux capture-pane`; and nothing of it when standard error is not a terminal.
@Suite(.serialized) struct ProgressLineTests {
    struct TmuxFailure: Error, CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        let message: String
        var description: String { "tmux \(arguments.joined(separator: " ")) exited \(status): \(message)" }
    }

    /// Runs `command` in a detached tmux session on a private server and returns the screen once
    /// the command has printed its exit marker.
    private func screen(of command: String) throws -> String {
        // A fresh server per screen: reusing a name right after kill-server races with the old
        // server's exit (new-session then fails).
        let server = "mptkit-test-\(getpid())-\(UUID().uuidString.prefix(8))"
        func tmux(_ arguments: [String]) throws -> String {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["tmux", "-L", server] + arguments
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let data = out.fileHandleForReading.readDataToEndOfFile()
            let message = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else {
                throw TmuxFailure(arguments: arguments, status: process.terminationStatus, message: String(decoding: message, as: UTF8.self))
            }
            return String(decoding: data, as: UTF8.self)
        }
        defer { _ = try? tmux(["kill-server"]) }
        // Foundation's Process would wait for the forked tmux server too (it inherits the child's
        // status pipe), so the server is started through system(3) with its output discarded.
        let session = "\(command); echo __EXIT=$?; sleep 120"
        let start = "tmux -L \(server) new-session -d -x 220 -y 40 -s run \(Self.shellQuoted(session)) </dev/null >/dev/null 2>&1"
        guard system(start) == 0 else { throw TmuxFailure(arguments: ["new-session"], status: -1, message: start) }
        let deadline = Date().addingTimeInterval(180)
        while Date() < deadline {
            let text = try tmux(["capture-pane", "-p", "-t", "run"])
            if text.contains("__EXIT=") { return text }
            Thread.sleep(forTimeInterval: 0.2)
        }
        Issue.record("\(command) did not finish within 180 s")
        return ""
    }

    private static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    private func convertCommand(_ extra: String) throws -> (command: String, directory: String) {
        let directory = try TestPaths.temporaryDirectory()
        let command = "'\(TestPaths.executable("mpt-convert"))' '\(TestPaths.model("mpt-4h-f32"))' '\(directory)/out' --dtype bf16 \(extra)"
        return (command, directory)
    }

    @Test func convertShowsDoneTotalThroughputAndTimeOnATerminal() throws {
        let (command, directory) = try convertCommand("")
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let lines = try screen(of: command).split(separator: "\n").map(String.init)
        let progress = try #require(lines.first { $0.hasPrefix("mpt-convert [") }, "screen:\n\(lines.joined(separator: "\n"))")
        // mpt-4h-f32 holds 119,104 weights.
        #expect(progress.contains("[####################] 100% 119.1 k/119.1 k weights"), "\(progress)")
        #expect(progress.contains(" weights/s · done in 0:"), "\(progress)")
        #expect(lines.contains { $0.hasPrefix("wrote \(directory)/out") })
        #expect(lines.contains("__EXIT=0"))
    }

    @Test func quietAndJSONShowNoProgressLine() throws {
        for flag in ["--quiet", "--json"] {
            let (command, directory) = try convertCommand(flag)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            let text = try screen(of: command)
            #expect(!text.contains("mpt-convert ["), "\(flag):\n\(text)")
            #expect(text.contains("__EXIT=0"), "\(flag):\n\(text)")
        }
    }

    @Test func generationToAFileShowsTokensDone() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let command = "'\(TestPaths.executable("mpt-generate"))' '\(TestPaths.model("mpt-4h-f32"))' --tokens 1,2,3 --max-tokens 6 --print-ids > '\(directory)/ids.txt'"
        let lines = try screen(of: command).split(separator: "\n").map(String.init)
        let progress = try #require(lines.first { $0.hasPrefix("mpt-generate [") }, "screen:\n\(lines.joined(separator: "\n"))")
        #expect(progress.contains("100% 6/6 tokens · "), "\(progress)")
        #expect(progress.contains("tokens/s · done in 0:"), "\(progress)")
        let ids = try String(contentsOfFile: directory + "/ids.txt", encoding: .utf8)
        #expect(ids.split(separator: "\n").last?.split(separator: ",").count == 6, "\(ids)")
    }

    @Test func imatrixShowsChunksDone() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let model = TestPaths.model("mpt-trained-d256")
        let command = "'\(TestPaths.executable("mpt-imatrix"))' '\(model)' --text-file '\(model)/heldout.txt' --ctx 64 --chunks 3 -o '\(directory)/out.gguf'"
        let lines = try screen(of: command).split(separator: "\n").map(String.init)
        let progress = try #require(lines.first { $0.hasPrefix("mpt-imatrix [") }, "screen:\n\(lines.joined(separator: "\n"))")
        #expect(progress.contains("[####################] 100% 3/3 chunks"), "\(progress)")
        #expect(progress.contains("done in 0:"), "\(progress)")
        #expect(lines.contains("__EXIT=0"))
        #expect(FileManager.default.fileExists(atPath: directory + "/out.gguf"))
    }

    @Test func verifyShowsEachForwardPassAndTheFreshQuantization() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let convert = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory + "/q8.gguf", "--quant", "q8_0"])
        #expect(convert.status == 0, "\(convert.standardError)")
        let command = "'\(TestPaths.executable("mpt-verify"))' '\(TestPaths.model("mpt-4h-f32"))' '\(directory)/q8.gguf' --tokens 1,2,3,4"
        let lines = try screen(of: command).split(separator: "\n").map(String.init)
        for label in ["reference forward", "candidate forward", "fresh quantization forward"] {
            let line = lines.first { $0.hasPrefix("mpt-verify: \(label) [") }
            #expect(line?.contains("100% 2/2 layers") == true, "\(label): \(lines.joined(separator: "\n"))")
        }
        #expect(lines.contains { $0.hasPrefix("mpt-verify: fresh quantization [####################] 100% 119.1 k/119.1 k weights") },
                "\(lines.joined(separator: "\n"))")
    }

    @Test func nothingIsDrawnWhenStandardErrorIsNotATerminal() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory + "/out", "--dtype", "bf16"])
        #expect(run.status == 0)
        #expect(run.standardError.isEmpty, "\(run.standardError)")
    }

    @Test func jsonSummaryCountsFilesTensorsAndBytes() throws {
        let directory = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let run = try runTool("mpt-convert", [TestPaths.model("mpt-4h-f32"), directory + "/x.gguf", "--quant", "q8_0", "--json"])
        #expect(run.status == 0, "\(run.standardError)")
        let json = try JSONSerialization.jsonObject(with: Data(run.standardOutput.utf8)) as? [String: Any]
        let summary = try #require(json)
        #expect(summary["format"] as? String == "gguf")
        #expect(summary["tensors"] as? Int == 14)
        let types = try #require(summary["tensor_types"] as? [String: Int])
        #expect(types.values.reduce(0, +) == 14 && types["Q8_0"] ?? 0 > 0)
        let size = try FileManager.default.attributesOfItem(atPath: directory + "/x.gguf")[.size] as? Int
        #expect(summary["bytes"] as? Int == size)
        #expect((summary["seconds"] as? Double ?? -1) >= 0)
    }
}
