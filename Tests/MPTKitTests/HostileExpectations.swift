import Foundation
import Testing

/// What every tool must do with hostile input: exit status 2 with one stderr line naming the
/// file, no signal, under `HostileCorpusTests.timeLimit` seconds and `memoryLimit` bytes of peak
/// resident memory (the child's exact `ru_maxrss`).
func expectCleanRejection(_ run: ChildRun, naming path: String, note: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let context = "\(run.tool) \(path) \(note)"
    #expect(run.signal == 0, "\(context): killed by signal \(run.signal)", sourceLocation: sourceLocation)
    #expect(run.exitStatus == 2, "\(context): exit \(run.exitStatus), stderr: \(run.standardError)", sourceLocation: sourceLocation)
    let lines = run.standardError.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
    #expect(lines.count == 1, "\(context): \(lines.count) stderr lines: \(run.standardError)", sourceLocation: sourceLocation)
    #expect(run.standardError.hasSuffix("\n"), "\(context): stderr not one terminated line", sourceLocation: sourceLocation)
    #expect(lines.first?.contains(path) == true, "\(context): stderr does not name the file: \(run.standardError)", sourceLocation: sourceLocation)
    #expect(run.seconds < HostileCorpusTests.timeLimit, "\(context): took \(run.seconds) s", sourceLocation: sourceLocation)
    #expect(run.peakMemory > 0, "\(context): peak RSS not measured", sourceLocation: sourceLocation)
    #expect(run.peakMemory <= HostileCorpusTests.memoryLimit, "\(context): peak RSS \(run.peakMemory >> 20) MiB", sourceLocation: sourceLocation)
}

/// Neither `output` nor any `.output.tmp-*` (nor any other hidden file) exists in `directory`
/// (other than `keeping`).
func expectNothingLeft(in directory: String, output: String, keeping: Set<String> = [], sourceLocation: SourceLocation = #_sourceLocation) {
    let names = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
    let left = names.subtracting(keeping).filter { $0 == output || $0.hasPrefix(".") || $0.hasPrefix(output) }
    #expect(left.isEmpty, "left behind in \(directory): \(left.sorted())", sourceLocation: sourceLocation)
}
