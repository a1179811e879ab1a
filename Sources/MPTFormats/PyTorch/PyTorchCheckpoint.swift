import MPTCore

/// Reads PyTorch zip checkpoints (`torch.save` since 1.6, e.g. `pytorch_model.bin`) without Python
/// and without executing anything: the zip is parsed by `ZipArchive`, `data.pkl` is evaluated by
/// the allow-listing `PickleMachine`, and tensors become zero-copy views into the file's memory
/// map (stored entries) or into inflated buffers (deflated entries).
public enum PyTorchCheckpoint {
    /// What a checkpoint file holds: its tensors and, for a Composer checkpoint, the HF config
    /// Composer stored inside it.
    public struct Contents: Sendable {
        /// Tensor names (dotted paths through nested dicts, in file order) to views.
        public var tensors: TensorCollection
        /// How the file was laid out.
        public var layout: Layout
        /// `state.integrations.huggingface.model.config.content` of a Composer checkpoint, as JSON.
        public var embeddedConfig: JSONValue?
    }

    /// The layouts `torch.save` files come in.
    public enum Layout: String, Sendable {
        /// A state dict (nested string-keyed dicts of tensors), e.g. `pytorch_model.bin`.
        case stateDict = "state dict"
        /// A Composer training checkpoint: only `state.model` is read.
        case composer = "Composer checkpoint"
    }

    /// Reads one `.bin`/`.pt` file: tensor names (dotted paths through nested dicts, in file
    /// order) to views with the storage's dtype. Non-tensor leaves (ints, strings, lists) are skipped.
    public static func read(path: String) throws -> TensorCollection {
        try readContents(path: path).tensors
    }

    /// Reads one `.bin`/`.pt` file with its layout and embedded config.
    public static func readContents(path: String) throws -> Contents {
        try read(storage: ByteStorage(mappingFileAt: path), origin: path)
    }

    /// Reads a checkpoint already in memory, with explicit limits.
    ///
    /// The pickle is evaluated under the allow-list. Only when that fails on a global outside it
    /// is the pickle evaluated again with such globals kept as inert placeholders; the file is
    /// then accepted only if its layout is a Composer checkpoint's and nothing under
    /// `state.model` reaches a placeholder. Otherwise the allow-list's own error stands, so plain
    /// checkpoints keep exactly today's rules.
    public static func read(
        storage: ByteStorage, origin: String, zipLimits: ZipLimits = .default, pickleLimits: PickleLimits = .default
    ) throws -> Contents {
        guard ZipArchive.looksLikeZip(storage) else { throw unrecognized(storage) }
        let archive = try ZipArchive(storage: storage, limits: zipLimits)
        let prefix = try archivePrefix(of: archive)
        try checkByteOrder(archive, prefix: prefix)
        let pickleEntry = try archive.entry(named: prefix + "data.pkl").orThrow(PyTorchError.missingDataPickle)
        try archive.verifyChecksum(of: pickleEntry)
        let pickle = try archive.contents(of: pickleEntry)
        let evaluate = { (policy: PickleGlobalPolicy) in
            try PickleMachine(limits: pickleLimits, unknownGlobals: policy)
                .evaluate(pickle.storage, start: pickle.offset, end: pickle.offset + pickle.count)
        }
        let result: PickleResult
        let composer: ComposerLayout?
        do {
            result = try evaluate(.allowListOnly)
            composer = ComposerLayout(result)
        } catch let strict as PickleError {
            guard case .forbiddenGlobal = strict,
                  let lenient = try? evaluate(.placeholdersOutsideAllowList),
                  let layout = ComposerLayout(lenient)
            else { throw strict }
            if let placeholder = lenient.firstPlaceholder(reachableFrom: layout.model) {
                throw PyTorchError.composerWeightsReachPlaceholder(global: placeholder.global, offset: placeholder.offset)
            }
            result = lenient
            composer = layout
        }
        var storages = PyTorchStorages(archive: archive, prefix: prefix)
        var collection = TensorCollection(origin: origin)
        for (name, record) in try PyTorchStateDict.tensors(in: result, from: composer?.model, maxDepth: pickleLimits.maxDepth) {
            try collection.add(name, try storages.view(of: record, tensor: name))
        }
        guard let composer else { return Contents(tensors: collection, layout: .stateDict, embeddedConfig: nil) }
        guard collection.count > 0 else { throw PyTorchError.composerModelEmpty }
        var converter = PickleJSON(result: result, maxDepth: pickleLimits.maxDepth)
        let config = try composer.embeddedConfig.map { try converter.convert($0) }
        return Contents(tensors: collection, layout: .composer, embeddedConfig: config)
    }

    /// The folder holding `data.pkl` (with trailing slash), e.g. `archive/`.
    private static func archivePrefix(of archive: ZipArchive) throws -> String {
        let candidates = archive.entries.map(\.name).filter { name in
            name.hasSuffix("/data.pkl") && name.filter { $0 == "/" }.count == 1
        }
        guard let first = candidates.first else { throw PyTorchError.missingDataPickle }
        guard candidates.count == 1 else { throw PyTorchError.ambiguousDataPickle(candidates) }
        return String(first.dropLast("data.pkl".count))
    }

    /// Accepts a missing `byteorder` record (older writers; little-endian) or `little`.
    private static func checkByteOrder(_ archive: ZipArchive, prefix: String) throws {
        guard let entry = archive.entry(named: prefix + "byteorder") else { return }
        guard entry.uncompressedSize <= 16 else { throw PyTorchError.unknownByteOrder("\(entry.uncompressedSize) bytes") }
        try archive.verifyChecksum(of: entry)
        let raw = try archive.contents(of: entry).copy()
        let text = String(decoding: raw, as: UTF8.self).trimmingWhitespace
        switch text {
        case "little": return
        case "big": throw PyTorchError.bigEndian
        default: throw PyTorchError.unknownByteOrder(text)
        }
    }

    private static func unrecognized(_ storage: ByteStorage) -> Error {
        let leading = (try? storage.copyBytes(offset: 0, length: min(8, storage.count))) ?? []
        if leading.first == 0x80 { return PyTorchError.legacyFormat }
        let hex = leading.map { byte in
            let digits = String(byte, radix: 16)
            return digits.count == 1 ? "0" + digits : digits
        }
        return PyTorchError.notACheckpoint(leadingBytes: hex.isEmpty ? "nothing (empty file)" : hex.joined(separator: " "))
    }
}

extension Optional {
    fileprivate func orThrow(_ error: @autoclosure () -> Error) throws -> Wrapped {
        guard let value = self else { throw error() }
        return value
    }
}

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop { $0.isWhitespace }.reversed().drop { $0.isWhitespace }.reversed())
    }
}
