import Foundation
import Testing

/// `ChildRun.peakMemory` is the tool's own exact high-water mark: the test runner's pages are not
/// folded in, and a tool that touches a lot of memory is seen at its peak however briefly.
@Suite("Child run measurement")
struct ChildRunTests {
    @Test func peakIsTheToolsOwnNotTheRunners() throws {
        // The runner holds (and has touched) 768 MiB while the child runs; a small tool's peak
        // stays far below it. (Spawned straight from the runner, ru_maxrss would report ≥ 768 MiB.)
        let ballast = [UInt8](repeating: 1, count: 768 << 20)
        let run = try ChildRun.tool("mpt-inspect", [TestPaths.model("mpt-4h-f32")])
        #expect(run.exitStatus == 0, "\(run.standardError)")
        #expect(run.peakMemory > 1 << 20, "peak \(run.peakMemory)")
        #expect(run.peakMemory < 256 << 20, "peak \(run.peakMemory >> 20) MiB includes the runner's")
        #expect(ballast[ballast.count / 2] == 1)
    }

    @Test func peakSeesAShortLivedLargeAllocation() throws {
        // Converting the 166 MB f32 model maps and reads all of it; the peak reflects that.
        let root = try TestPaths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: root) }
        try ConvertOutputSafetyTests.writeLargeModel(at: root + "/large")
        let small = try ChildRun.tool("mpt-inspect", [TestPaths.model("mpt-4h-f32")])
        let large = try ChildRun.tool("mpt-verify", [root + "/large", "--tokens", "1,2"])
        #expect(large.exitStatus == 0, "\(large.standardError)")
        #expect(large.peakMemory > small.peakMemory + (64 << 20), "large \(large.peakMemory >> 20) MiB, small \(small.peakMemory >> 20) MiB")
    }

    @Test func exitStatusAndSignalComeFromTheTool() throws {
        let bad = try ChildRun.tool("mpt-inspect", ["/nonexistent/model"])
        #expect(bad.exitStatus == 2 && bad.signal == 0, "\(bad.exitStatus) \(bad.signal)")
        let usage = try ChildRun.tool("mpt-inspect", [])
        #expect(usage.exitStatus == 64, "\(usage.exitStatus)")
    }
}
