// mpt-test-child REPORT TOOL [ARG…]
//
// Runs TOOL with ARGs as a forked child and, when it ends, writes "STATUS MAXRSS_KB\n" to REPORT:
// the raw `wait4` status and the child's `ru_maxrss`. The tests spawn this launcher instead of
// the tool because `ru_maxrss` of a child spawned straight from the test runner is polluted: glibc's
// `posix_spawn` runs the child in the parent's address space until `exec`, and the kernel folds
// that address space's high-water mark into the child's at `exec`. Forked from this small process,
// the tool's `ru_maxrss` is its own high-water mark (the launcher's own few pages are the floor).
//
// SIGINT and SIGTERM sent to the launcher are forwarded to the tool. The test runner starts the
// launcher in a process group of its own, so killing that group on a time-out kills the tool too.
// Standard input, output and error are inherited.
#if canImport(Glibc)
import Glibc
#endif

nonisolated(unsafe) var childProcess: pid_t = 0

func fail(_ message: String, status: Int32) -> Never {
    let line = "mpt-test-child: " + message + "\n"
    _ = line.withCString { write(2, $0, strlen($0)) }
    exit(status)
}

let arguments = CommandLine.arguments
guard arguments.count >= 3 else { fail("usage: mpt-test-child REPORT TOOL [ARG...]", status: 64) }
let reportPath = arguments[1]

let forward: @convention(c) (Int32) -> Void = { signal in
    if childProcess > 0 { kill(childProcess, signal) }
}
var forwarded = sigset_t()
sigemptyset(&forwarded)
sigaddset(&forwarded, SIGINT)
sigaddset(&forwarded, SIGTERM)
// Block the forwarded signals until the child's pid is known, so none is lost or sent to pid 0.
var previousMask = sigset_t()
sigprocmask(SIG_BLOCK, &forwarded, &previousMask)
signal(SIGINT, forward)
signal(SIGTERM, forward)

let argv: [UnsafeMutablePointer<CChar>?] = arguments.dropFirst(2).map { strdup($0) } + [nil]
let pid = fork()
if pid == 0 {
    signal(SIGINT, SIG_DFL)
    signal(SIGTERM, SIG_DFL)
    sigprocmask(SIG_SETMASK, &previousMask, nil)
    execv(arguments[2], argv)
    _exit(127)
}
guard pid > 0 else { fail("fork failed", status: 70) }
childProcess = pid
sigprocmask(SIG_SETMASK, &previousMask, nil)

var status: Int32 = 0
var usage = rusage()
while wait4(pid, &status, 0, &usage) < 0 {
    guard errno == EINTR else { fail("wait4 failed", status: 70) }
}
let report = "\(status) \(usage.ru_maxrss)\n"
let descriptor = open(reportPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
guard descriptor >= 0 else { exit(70) }
_ = report.withCString { write(descriptor, $0, strlen($0)) }
close(descriptor)
exit(0)
