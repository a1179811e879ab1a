import Foundation
import Testing

/// Tools that write a side output (mpt-imatrix's file, mpt-verify's logits dump) refuse to write
/// it over a file the run reads — here through symlinks, so a broken check replaces only the
/// links of a scratch directory, never the committed fixture.
struct OutputIsNotAnInputTests {
    private static func linkedModel() throws -> String {
        let directory = try TestPaths.temporaryDirectory()
        let fixture = TestPaths.model("mpt-trained-d256")
        for name in ["config.json", "tokenizer.json", "model.safetensors", "heldout.txt"] {
            try FileManager.default.createSymbolicLink(atPath: directory + "/" + name, withDestinationPath: fixture + "/" + name)
        }
        return directory
    }

    private static func target(_ path: String) throws -> String {
        try FileManager.default.destinationOfSymbolicLink(atPath: path)
    }

    @Test func imatrixRefusesToWriteOverItsInputs() throws {
        let model = try Self.linkedModel()
        defer { try? FileManager.default.removeItem(atPath: model) }
        for victim in ["model.safetensors", "heldout.txt", "config.json", "tokenizer.json"] {
            let run = try runTool("mpt-imatrix", [model, "--text-file", model + "/heldout.txt", "--ctx", "64", "--chunks", "2",
                                                  "-o", model + "/" + victim, "--quiet"])
            #expect(run.status == 2, "\(victim): \(run.standardError)")
            #expect(run.standardError.contains("refusing to overwrite"), "\(run.standardError)")
            #expect(try Self.target(model + "/" + victim).hasSuffix("mpt-trained-d256/" + victim))
        }
        let fine = try runTool("mpt-imatrix", [model, "--text-file", model + "/heldout.txt", "--ctx", "64", "--chunks", "2",
                                               "-o", model + "/imatrix.gguf", "--quiet"])
        #expect(fine.status == 0, "\(fine.standardError)")
    }

    @Test func verifyRefusesToDumpLogitsOverAModel() throws {
        let model = try Self.linkedModel()
        defer { try? FileManager.default.removeItem(atPath: model) }
        let run = try runTool("mpt-verify", [model, "--tokens", "1,2,3", "--dump-logits", model + "/model.safetensors"])
        #expect(run.status == 2, "\(run.standardError)")
        #expect(run.standardError.contains("refusing to overwrite"), "\(run.standardError)")
        #expect(try Self.target(model + "/model.safetensors").hasSuffix("mpt-trained-d256/model.safetensors"))
        let fine = try runTool("mpt-verify", [model, "--tokens", "1,2,3", "--dump-logits", model + "/logits.npy"])
        #expect(fine.status == 0, "\(fine.standardError)")
    }
}
