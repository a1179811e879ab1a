import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One finished run of a built tool, with what `wait4` reports about it: exit status or signal,
/// peak resident memory, and wall time. Output goes through files, not pipes, so a child that
/// floods stderr cannot block. The tool runs under `mpt-test-child` (Tests/ChildLauncher), which
/// forks it from a small address space and reports its `wait4` status and `ru_maxrss`.
struct ChildRun {
    var tool: String
    /// Exit status (meaningful when `signal` is 0).
    var exitStatus: Int32
    /// The signal that ended the child, 0 when it exited.
    var signal: Int32
    var standardOutput: String
    var standardError: String
    /// Peak resident set size in bytes: the tool's exact high-water mark, `ru_maxrss` from
    /// `wait4`. (The launcher in between is what makes it the tool's own: spawned straight from
    /// the test runner, a child starts in the runner's address space and the runner's peak is
    /// folded into its `ru_maxrss` at `exec`.) 0 when the launcher itself was killed.
    var peakMemory: Int
    var seconds: Double
    /// True when the child ran past the time limit and was killed.
    var timedOut: Bool

    /// Runs `tool` with `arguments` (and `environment` added to the runner's); kills it after
    /// `timeLimit` seconds. When `interrupt` is given, SIGINT is sent once `interrupt.when()`
    /// returns true (polled every 2 ms) or after `interrupt.after` seconds, whichever comes first.
    static func tool(
        _ tool: String, _ arguments: [String], timeLimit: Double = 30,
        environment: [String: String] = [:],
        interrupt: (after: Double, when: () -> Bool)? = nil
    ) throws -> ChildRun {
        let scratch = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let outPath = scratch + "/stdout"
        let errPath = scratch + "/stderr"
        let reportPath = scratch + "/report"
        let launcher = TestPaths.executable("mpt-test-child")
        let executable = TestPaths.executable(tool)

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)

        // Test threads may block signals, and a blocked mask is inherited across exec: give the
        // child an empty mask and default dispositions so SIGINT reaches it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGTERM)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        // A process group of its own (the launcher's pid), so a time-out kills the tool with it.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETPGROUP))

        let argv: [UnsafeMutablePointer<CChar>?] = ([launcher, reportPath, executable] + arguments).map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var inherited: [String] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if !environment.keys.contains(where: { text.hasPrefix($0 + "=") }) { inherited.append(text) }
            index += 1
        }
        let envp: [UnsafeMutablePointer<CChar>?] = (inherited + environment.map { "\($0.key)=\($0.value)" }).map { strdup($0) } + [nil]
        defer { for pointer in envp { free(pointer) } }
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: executable])
        }
        let start = Date()
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, launcher, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw CocoaError(.executableLoad, userInfo: [NSFilePathErrorKey: launcher]) }

        var status: Int32 = 0
        var usage = rusage()
        var interrupted = interrupt == nil
        var timedOut = false
        while true {
            let waited = wait4(pid, &status, WNOHANG, &usage)
            if waited == pid { break }
            if waited < 0 && errno != EINTR { break }
            let elapsed = Date().timeIntervalSince(start)
            if !interrupted, let interrupt, elapsed >= interrupt.after || interrupt.when() {
                kill(pid, SIGINT)
                interrupted = true
            }
            if elapsed > timeLimit && !timedOut {
                kill(-pid, SIGKILL)
                timedOut = true
            }
            usleep(2000)
        }
        let seconds = Date().timeIntervalSince(start)
        // The launcher reports the tool's own status and peak; without a report (the launcher was
        // killed) its own status stands.
        var peakMemory = 0
        let report = String(decoding: readWhole(reportPath), as: UTF8.self).split(separator: " ")
        if report.count == 2, let toolStatus = Int32(report[0]),
           let kilobytes = Int(report[1].trimmingCharacters(in: .whitespacesAndNewlines)) {
            status = toolStatus
            peakMemory = kilobytes * 1024
        }
        let terminatingSignal = status & 0x7F
        return ChildRun(
            tool: tool,
            exitStatus: terminatingSignal == 0 ? (status >> 8) & 0xFF : -1,
            signal: terminatingSignal,
            standardOutput: String(decoding: readWhole(outPath), as: UTF8.self),
            standardError: String(decoding: readWhole(errPath), as: UTF8.self),
            peakMemory: peakMemory,
            seconds: seconds,
            timedOut: timedOut)
    }

    /// A whole small file through plain `read` (Foundation's file reading leaks under LSan).
    static func readWhole(_ path: String) -> [UInt8] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [] }
        defer { close(descriptor) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { break }
            result += chunk[0..<count]
        }
        return result
    }
}
