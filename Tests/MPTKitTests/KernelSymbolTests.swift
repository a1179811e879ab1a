import Foundation
import Testing

/// The three kernel copies are linked into one binary: a symbol one copy defines that another
/// module can also define (a shared stdlib specialization) may be resolved to the copy compiled
/// for a CPU this machine lacks. This checks the built objects with `nm`: every global symbol a
/// copy defines belongs to its own module (mangled with its name), apart from two constants
/// every Swift module defines identically.
@Suite("Kernel symbols")
struct KernelSymbolTests {
    static let benign: Set<String> = ["__swift_reflection_version"]

    /// Global symbols of `lines` (`nm --defined-only` output) that are not `module`'s own.
    static func foreign(_ lines: [String], module: String) -> [String] {
        lines.compactMap { line -> String? in
            let fields = line.split(separator: " ")
            guard fields.count == 3, let kind = fields[1].first, !"tdbr".contains(kind) else { return nil }
            let name = String(fields[2])
            if benign.contains(name) || name.contains("\(module.count)\(module)") || name.hasPrefix("got.") { return nil }
            return name
        }
    }

    @Test func eachCopyDefinesOnlyItsOwnSymbols() throws {
        let buildDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        let products = Bundle.allBundles.map { $0.bundleURL.deletingLastPathComponent() } + [buildDirectory]
        for module in ["MPTKernelsPortable", "MPTKernelsAVX2", "MPTKernelsAVX512"] {
            guard let directory = products.map({ $0.appendingPathComponent("\(module).build") })
                .first(where: { FileManager.default.fileExists(atPath: $0.path) })
            else {
                Issue.record("no \(module).build next to the test bundle (\(products.map { $0.path }))")
                continue
            }
            let objects = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".o") }
            #expect(!objects.isEmpty, "\(module): no objects")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["nm", "--defined-only"] + objects.map { directory.appendingPathComponent($0).path }
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let output = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "nm failed on \(module)")
            let lines = String(decoding: output, as: UTF8.self).split(separator: "\n").map(String.init)
            #expect(lines.count > 10, "\(module): nm listed nothing")
            #expect(Self.foreign(lines, module: module).isEmpty, "\(module) defines shared symbols: \(Self.foreign(lines, module: module))")
        }
    }

    /// The check bites: a shared stdlib specialization (what `SIMD.sum()` left out of line
    /// produced before the kernels avoided it) is reported; the module's own symbols are not.
    @Test func sharedSpecializationIsReported() {
        let lines = [
            "0000000000000000 T $s16MPTKernelsAVX5129KernelSetO3dot__5countSfSPySfG_AESitFZ",
            "0000000000000000 W $ss4SIMDPsSF6ScalarRpzrlE3sumADyFs6SIMD16VySfG_Tg5",
            "0000000000000010 t $s16MPTKernelsAVX5126Vector_local",
            "0000000000000000 V __swift_reflection_version",
        ]
        #expect(Self.foreign(lines, module: "MPTKernelsAVX512") == ["$ss4SIMDPsSF6ScalarRpzrlE3sumADyFs6SIMD16VySfG_Tg5"])
    }
}
