import Foundation
import MPTCore
import MPTFormats

/// Where a conversion may write, checked before the input is read.
public enum OutputPaths {
    /// Refuses outputs that would overwrite or live inside the input. A model directory input
    /// keeps everything below it off limits; a single weights file (`model.gguf`) may get a
    /// sibling output, but never one that replaces the file, its directory, or a file the
    /// checkpoint reads next to it (config, tokenizer, other weights).
    public static func check(input: String, output: String) throws {
        let inputURL = URL(fileURLWithPath: input).standardizedFileURL.resolvingSymlinksInPath()
        let outputURL = resolvingSymlinksInExistingPrefix(output)
        let inputPath = inputURL.path
        let outputPath = outputURL.path
        if outputPath == inputPath {
            throw FileError(path: output, underlying: ConversionError.unsupported("output is the input; refusing to overwrite it"))
        }
        if inputPath.hasPrefix(outputPath + "/") {
            throw FileError(path: output, underlying: ConversionError.unsupported("output contains the input \(inputPath); refusing to replace it"))
        }
        guard FileKind.of(inputPath) == .file else {
            if outputPath.hasPrefix(inputPath + "/") {
                throw FileError(path: output, underlying: ConversionError.unsupported("output lies inside the input directory \(inputPath); choose another place"))
            }
            return
        }
        let inputDirectory = Checkpoint.directory(of: inputPath)
        let name = outputURL.lastPathComponent
        let readsNextToWeights = name == "config.json" || name.hasPrefix("tokenizer") || name.hasSuffix(".safetensors")
            || name.hasSuffix(".bin") || name.hasSuffix(".index.json")
        if outputPath == inputDirectory
            || (outputURL.deletingLastPathComponent().path == inputDirectory && readsNextToWeights) {
            throw FileError(path: output, underlying: ConversionError.unsupported("output would replace part of the input in \(inputDirectory); choose another place"))
        }
    }

    /// Refuses an output (an imatrix, a logits dump) that is one of the files a run reads: the
    /// weight files, config.json and tokenizer of each checkpoint, and `others` (a calibration
    /// text, stored logits). Symlinks are resolved on both sides.
    public static func check(output: String, replacesNoneOf checkpoints: [Checkpoint], others: [String] = []) throws {
        var read = others
        for checkpoint in checkpoints {
            read.append(checkpoint.path)
            read.append(checkpoint.directory + "/config.json")
            read += checkpoint.files.map { $0.hasPrefix("/") ? $0 : checkpoint.directory + "/" + $0 }
            if let tokenizer = checkpoint.tokenizerPath { read.append(tokenizer) }
        }
        let target = resolvingSymlinksInExistingPrefix(output).path
        for path in read where resolvingSymlinksInExistingPrefix(path).path == target {
            throw FileError(path: output, underlying: ConversionError.unsupported("output is an input of this run (\(path)); refusing to overwrite it"))
        }
    }

    /// `path` made absolute, with symlinks resolved in its longest existing prefix: an output that
    /// does not exist yet is still placed where it will really be written (a symlinked parent
    /// pointing into the input counts as inside the input).
    static func resolvingSymlinksInExistingPrefix(_ path: String) -> URL {
        var existing = URL(fileURLWithPath: path).standardizedFileURL
        var missing: [String] = []
        while FileKind.of(existing.path) == .missing, existing.path != "/" {
            missing.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        var resolved = existing.resolvingSymlinksInPath()
        for component in missing { resolved.appendPathComponent(component) }
        return resolved
    }
}
