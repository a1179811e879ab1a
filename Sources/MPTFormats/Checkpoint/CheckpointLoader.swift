import MPTCore
#if canImport(Glibc)
import Glibc
#endif

/// Opens checkpoints: a model directory (safetensors preferred over `.bin`, sharded via the index
/// json) or a single `.safetensors` / `.bin` / `.gguf` file.
public enum CheckpointLoader {
    /// Opens `path`. Every error names the file it concerns.
    public static func open(_ givenPath: String, readers: WeightFileReaders = WeightFileReaders()) throws -> Checkpoint {
        var path = givenPath
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        switch FileKind.of(path) {
        case .missing:
            throw FileError(path: path, underlying: FormatError.unrecognized("no such file or directory"))
        case .directory:
            return try openDirectory(path, readers: readers)
        case .file:
            return try openFile(path, readers: readers)
        }
    }

    private static func openFile(_ path: String, readers: WeightFileReaders) throws -> Checkpoint {
        let name = path.split(separator: "/").last.map(String.init) ?? path
        let directory = Checkpoint.directory(of: path)
        if name.hasSuffix(".gguf") {
            // A GGUF file is self-describing: its metadata is the config, so a config.json that
            // happens to sit next to it is not consulted.
            var file = try attributing(to: path) { try readers.gguf(path) }
            var files = [name]
            // A part of a split set (llama-gguf-split): read every part as one model.
            if let count = file[GGUFSplit.countKey]?.intValue, count > 1 {
                let given = file
                file = try GGUFSplit.read(path: path) { part in part == path ? given : try readers.gguf(part) }
                if let split = GGUFSplit.partName(of: path) {
                    files = (1...split.count).map { number in
                        let partPath = split.path(number: number)
                        return partPath.split(separator: "/").last.map(String.init) ?? partPath
                    }
                }
            }
            let tensors = try attributing(to: path) { try file.tensorCollection(origin: path) }
            // The tokenizer, when the file stores one, is the file itself (`tokenizer.ggml.*`).
            let tokenizer = file["tokenizer.ggml.tokens"] == nil ? nil : path
            return Checkpoint(path: path, format: .gguf, tensors: tensors, config: nil, files: files, tokenizerPath: tokenizer, gguf: file,
                              directory: directory)
        }
        let config = try readConfig(directory + "/config.json", required: false)
        if name.hasSuffix(".safetensors") {
            let tensors = try readers.safetensors(path)
            return Checkpoint(path: path, format: .safetensors, tensors: tensors, config: config, files: [name], tokenizerPath: nil,
                              directory: directory)
        }
        if name.hasSuffix(".bin") || name.hasSuffix(".pt") || name.hasSuffix(".pth") {
            return try openPyTorch(path, files: [name], config: config, tokenizerPath: nil, directory: directory, readers: readers)
        }
        throw FileError(path: path, underlying: FormatError.unrecognized("unrecognized file type (expected .safetensors, .bin, .gguf or a model directory)"))
    }

    private static func openDirectory(_ path: String, readers: WeightFileReaders) throws -> Checkpoint {
        let config = try readConfig(path + "/config.json", required: false)
        let tokenizer = FileKind.of(path + "/tokenizer.json") == .file ? path + "/tokenizer.json" : nil
        let candidates: [(index: String, single: String, format: CheckpointFormat)] = [
            ("model.safetensors.index.json", "model.safetensors", .safetensors),
            ("pytorch_model.bin.index.json", "pytorch_model.bin", .pytorch),
        ]
        for candidate in candidates {
            let read: (String) throws -> TensorCollection = { file in
                try attributing(to: file) {
                    candidate.format == .safetensors ? try readers.safetensors(file) : try readers.pytorch(file).tensors
                }
            }
            let indexPath = path + "/" + candidate.index
            if FileKind.of(indexPath) == .file {
                let index = try attributing(to: indexPath) { try ShardIndex(path: indexPath) }
                let tensors = try attributing(to: indexPath) { try index.load(directory: path, readShard: read) }
                return Checkpoint(path: path, format: candidate.format, tensors: tensors, config: config,
                                  files: [candidate.index] + index.files, tokenizerPath: tokenizer, directory: path)
            }
            let singlePath = path + "/" + candidate.single
            if FileKind.of(singlePath) == .file {
                var tensors = try read(singlePath)
                tensors.origin = singlePath
                return Checkpoint(path: path, format: candidate.format, tensors: tensors, config: config,
                                  files: [candidate.single], tokenizerPath: tokenizer, directory: path)
            }
        }
        let names = fileNames(in: path).sorted()
        // A directory holding one GGUF model: a single file, or the parts of one split set.
        let ggufFiles = names.filter { $0.hasSuffix(".gguf") }
        let splitPrefixes = Set(ggufFiles.compactMap { GGUFSplit.partName(of: $0).map { "\($0.prefix)/\($0.count)" } })
        if ggufFiles.count == 1 || (!ggufFiles.isEmpty && splitPrefixes.count == 1 && ggufFiles.allSatisfy { GGUFSplit.partName(of: $0) != nil }) {
            return try openFile(path + "/" + ggufFiles[0], readers: readers)
        }
        if ggufFiles.count > 1 {
            throw FileError(path: path, underlying: FormatError.unrecognized(
                "holds several GGUF models (\(ggufFiles.joined(separator: ", "))); name the one to read"))
        }
        // A Composer run directory: one training checkpoint (`ep1-ba4-rank0.pt`), maybe with the
        // config.json / tokenizer.json of an HF export beside it.
        let trainingCheckpoints = names.filter { $0.hasSuffix(".pt") }
        if trainingCheckpoints.count > 1 {
            throw FileError(path: path, underlying: FormatError.unrecognized(
                "holds several .pt checkpoints (\(trainingCheckpoints.joined(separator: ", "))); name the one to read"))
        }
        if let single = trainingCheckpoints.first {
            return try openPyTorch(path + "/" + single, files: [single], config: config, tokenizerPath: tokenizer, directory: path,
                                   readers: readers, checkpointPath: path)
        }
        throw FileError(path: path, underlying: FormatError.unrecognized(
            "no weights found (looked for model.safetensors[.index.json], pytorch_model.bin[.index.json], a GGUF model and a Composer .pt)"))
    }

    /// A `.bin`/`.pt` file: a state dict, or a Composer checkpoint whose stored HF config stands
    /// in for a missing config.json.
    private static func openPyTorch(
        _ file: String, files: [String], config: JSONValue?, tokenizerPath: String?, directory: String,
        readers: WeightFileReaders, checkpointPath: String? = nil
    ) throws -> Checkpoint {
        var contents = try attributing(to: file) { try readers.pytorch(file) }
        contents.tensors.origin = file
        var checkpoint = Checkpoint(path: checkpointPath ?? file, format: .pytorch, tensors: contents.tensors,
                                    config: config ?? contents.embeddedConfig, files: files, tokenizerPath: tokenizerPath,
                                    directory: directory)
        checkpoint.pytorchLayout = contents.layout
        checkpoint.configFromCheckpoint = config == nil && contents.embeddedConfig != nil
        return checkpoint
    }

    /// Names of the entries directly inside `directory` (without `.` and `..`).
    private static func fileNames(in directory: String) -> [String] {
        guard let handle = opendir(directory) else { return [] }
        defer { closedir(handle) }
        var names: [String] = []
        while let entry = readdir(handle) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Parses a JSON config file; `nil` when absent and not required.
    public static func readConfig(_ path: String, required: Bool) throws -> JSONValue? {
        guard FileKind.of(path) == .file else {
            if required { throw FileError(path: path, underlying: FormatError.unrecognized("missing config.json")) }
            return nil
        }
        return try attributing(to: path) {
            let storage = try ByteStorage(mappingFileAt: path)
            guard storage.count <= 16 << 20 else { throw FormatError.unrecognized("config file larger than 16 MiB") }
            return try JSONParser.parse(Array(storage.bytes))
        }
    }
}

/// What a path names on disk.
public enum FileKind: Sendable {
    case missing, file, directory

    /// Looks `path` up (following symlinks).
    public static func of(_ path: String) -> FileKind {
        var info = stat()
        guard stat(path, &info) == 0 else { return .missing }
        return (info.st_mode & S_IFMT) == S_IFDIR ? .directory : .file
    }
}
