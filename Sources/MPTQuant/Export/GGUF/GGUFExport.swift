import Foundation
import MPTCore
import MPTFormats
import MPTGraph
import MPTTokenizer

/// Writes an MPT model as a llama.cpp `mpt` GGUF file: metadata (hyper-parameters, file type,
/// tokenizer), then every tensor streamed one at a time — cast, or quantized with the types
/// llama-quantize picks for the file type (`LlamaQuantMix`) — into a temporary file that is
/// renamed into place once complete. A block-quantized input tensor whose type does not change is
/// copied; one whose type changes is re-quantized only with `allowRequantize`.
public enum GGUFExport {
    /// One tensor of the output: its GGUF name, source, shape and type.
    public struct PlannedTensor: Sendable {
        /// The canonical tensor.
        public var tensor: CanonicalTensor
        /// The GGUF name (`blk.0.attn_qkv.weight`).
        public var name: String
        /// Row-major shape.
        public var shape: [Int]
        /// The ggml type written.
        public var type: GGMLType
        /// The type the mix wanted when the row length made it fall back to `type`
        /// (llama-quantize's `tensor_type_fallback`), else nil.
        public var fallbackFrom: GGMLType? = nil
        /// Whether the tensor was quantized with an importance-matrix entry.
        public var weighted = false
    }

    /// `general.quantization_version` as the converter writes it (`GGML_QUANT_VERSION`).
    public static let quantizationVersion: UInt32 = 2

    /// The tokenizer of the model directory, when it has a `tokenizer.json`.
    public static func vocabulary(model: MPTModel) throws -> GGUFVocabulary? {
        let checkpoint = model.checkpoint
        let tokenizerPath = checkpoint.file("tokenizer.json")
        guard FileKind.of(tokenizerPath) == .file else { return nil }
        let tokenizer = try TokenizerJSON.read(path: tokenizerPath)
        let tokenizerConfig = try CheckpointLoader.readConfig(checkpoint.file("tokenizer_config.json"), required: false)
        var modelConfig = checkpoint.config
        if modelConfig == nil { modelConfig = try CheckpointLoader.readConfig(checkpoint.file("config.json"), required: false) }
        return try attributing(to: tokenizerPath) {
            try GGUFVocabulary(tokenizer: tokenizer, tokenizerConfig: tokenizerConfig, modelConfig: modelConfig,
                               vocabSize: model.config.vocabSize)
        }
    }

    /// All metadata entries in write order. Without a tokenizer the file declares
    /// `tokenizer.ggml.model = "none"` and `mpt.vocab_size`, which llama.cpp loads as a model
    /// that takes token ids only.
    public static func metadata(model: MPTModel, plan: OutputPlan, name: String,
                                vocabulary: GGUFVocabulary?) throws -> [(key: String, value: GGUFValue)] {
        var entries: [(key: String, value: GGUFValue)] = [
            (MPTGGUFKey.architecture, .string(MPTGGUFKey.architectureName)),
            ("general.type", .string("model")),
            ("general.name", .string(name)),
        ]
        let parameters = model.orderedTensors.reduce(0) { total, tensor in
            total &+ (model.tensors[tensor]?.shape.reduce(1, &*) ?? 0)
        }
        entries.append(("general.size_label", .string(GGUFSizeLabel.label(parameters: parameters))))
        entries.append(contentsOf: try model.config.ggufHyperParameters())
        entries.append(("general.file_type", .uint32(try GGUFTensorTypes.fileType(quant: plan.quant, dtype: plan.storageDType(for: model)))))
        entries.append(("general.quantization_version", .uint32(quantizationVersion)))
        if let vocabulary {
            entries.append(contentsOf: vocabulary.metadata)
        } else if let inherited = inheritedTokenizer(model) {
            entries.append(contentsOf: inherited)
        } else {
            guard let vocab = UInt32(exactly: model.config.vocabSize) else {
                throw GGUFExportError.unrepresentable(option: "vocab_size", reason: "does not fit UINT32")
            }
            entries.append(("tokenizer.ggml.model", .string("none")))
            entries.append((MPTGGUFKey.vocabSize, .uint32(vocab)))
        }
        return entries
    }

    /// A GGUF input's tokenizer entries (`tokenizer.*`, and `mpt.vocab_size` when present), copied
    /// unchanged as llama-quantize copies them; nil when the input is not a GGUF with a tokenizer.
    static func inheritedTokenizer(_ model: MPTModel) -> [(key: String, value: GGUFValue)]? {
        guard let file = model.checkpoint.gguf, file["tokenizer.ggml.model"] != nil else { return nil }
        return file.metadata.filter { $0.key.hasPrefix("tokenizer.") || $0.key == MPTGGUFKey.vocabSize }
    }

    /// Converts `model` into the GGUF file `path` (replaced only when `plan.replaceExisting`),
    /// or, when `plan.shardSize` is set and the tensors do not fit, into the parts
    /// `<path minus .gguf>-0000K-of-0000N.gguf` laid out as `llama-gguf-split --split-max-size`
    /// lays them out (`GGUFSplitLayout`); `progress` is called with each tensor's canonical name
    /// as its writing starts. If a part fails, the parts already written are removed.
    /// - Returns: the tensors written and the files (`path`, or the parts in order).
    @discardableResult
    public static func write(
        model: MPTModel, to path: String, plan: OutputPlan, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> (tensors: [PlannedTensor], files: [String]) {
        let planned = try attributing(to: model.checkpoint.path) { try tensors(model: model, plan: plan) }
        let importance = try plan.imatrix.map { try GGUFImportance(path: $0, tensors: planned) }
        let vocabulary = try vocabulary(model: model)
        let name = URL(fileURLWithPath: model.checkpoint.directory).standardizedFileURL.lastPathComponent
        let metadata = try metadata(model: model, plan: plan, name: name, vocabulary: vocabulary) + (importance?.metadata ?? [])
        let byteCounts = try planned.map { try $0.type.byteCount(innermostFirst: $0.shape.reversed(), tensor: $0.name) }
        let parts = plan.shardSize.map { GGUFSplitLayout.parts(byteCounts: byteCounts, maxBytes: $0) } ?? [planned.indices]
        guard parts.count <= Int(UInt16.max) else { throw GGUFExportError.tooManyParts(parts.count) }
        let paths = parts.count == 1 ? [path] : partPaths(for: path, count: parts.count)
        var written = planned
        var finished: [String] = []
        do {
            for (partIndex, part) in parts.enumerated() {
                var writer = try GGUFWriter()
                if partIndex == 0 {
                    for (key, value) in metadata { try writer.addMetadata(key, value) }
                }
                if parts.count > 1 {
                    for (key, value) in GGUFSplitLayout.splitMetadata(part: partIndex, of: parts.count, tensors: planned.count) {
                        try writer.addMetadata(key, value)
                    }
                }
                for index in part {
                    written[index].weighted = try add(planned[index], of: model, plan: plan, importance: importance, to: &writer, progress: progress)
                }
                try writer.write(to: paths[partIndex], overwrite: plan.replaceExisting, durable: plan.isDurable)
                finished.append(paths[partIndex])
            }
        } catch {
            for file in finished { unlink(file) }
            throw error
        }
        return (written, paths)
    }

    /// `<path without .gguf>-0000K-of-0000N.gguf` for every part.
    public static func partPaths(for path: String, count: Int) -> [String] {
        let prefix = path.hasSuffix(".gguf") ? String(path.dropLast(".gguf".count)) : path
        return (1...count).map { GGUFSplit.path(prefix: prefix, number: $0, count: count) }
    }

    /// Adds one planned tensor to `writer` (copied when the source already has its type, else
    /// quantized when written); returns whether an importance-matrix entry was used.
    private static func add(
        _ item: PlannedTensor, of model: MPTModel, plan: OutputPlan, importance: GGUFImportance?, to writer: inout GGUFWriter,
        progress: @escaping @Sendable (String) -> Void
    ) throws -> Bool {
        let source = try model.source(item.tensor)
        if case let .quantized(stored) = source, stored.format == item.type.description {
            try addCopy(of: stored, as: item, to: &writer, progress: progress, origin: model.checkpoint.path)
            return false
        }
        if case let .dense(view) = source, !view.isContiguous {
            throw FileError(path: model.checkpoint.path, underlying: GGUFExportError.nonContiguous(tensor: item.tensor.name))
        }
        let sourceName = model.sourceNames[item.tensor] ?? item.tensor.name
        let threads = plan.threads
        let allowNonfinite = plan.allowNonfinite
        let canonicalName = item.tensor.name
        let origin = model.checkpoint.path
        let columnImportance = importance?.importance(for: item.name, type: item.type)
        if importance != nil, columnImportance == nil, GGUFImportance.requiresImportance(item.name, type: item.type) {
            throw FileError(path: origin, underlying: GGUFExportError.missingImportance(tensor: item.name, type: item.type))
        }
        try writer.addTensor(name: item.name, dims: item.shape, type: item.type) { sink in
            progress(canonicalName)
            try attributing(to: origin) {
                // LoRA-merged weights are computed here, one tensor at a time.
                let view = try Dequantizer.decodedView(source, name: sourceName)
                let counts = try GGMLQuantizer.write(view, as: item.type, to: &sink, threads: threads, importance: columnImportance)
                if !allowNonfinite { try checkCounts(counts, name: sourceName, type: item.type) }
                view.storage.dropCachedPages(offset: view.byteOffset, length: view.byteCount)
            }
        }
        return columnImportance != nil
    }

    /// Copies the blocks of a quantized source whose type the mix keeps (llama-quantize writes
    /// such a tensor unchanged).
    static func addCopy(of stored: QuantizedTensor, as item: PlannedTensor, to writer: inout GGUFWriter,
                        progress: @escaping @Sendable (String) -> Void, origin: String) throws {
        guard let blocks = stored.components["blocks"] else {
            throw FileError(path: origin, underlying: Dequantizer.Failure.missingComponent(format: stored.format, role: "blocks"))
        }
        let canonicalName = item.tensor.name
        try writer.addTensor(name: item.name, dims: item.shape, type: item.type) { sink in
            progress(canonicalName)
            try attributing(to: origin) { try blocks.withContiguousBytes { try sink.write($0) } }
        }
    }

    /// NaN/Inf in the source, and values that F16 cannot hold (they became ±inf). The whole
    /// output file is discarded when this throws.
    static func checkCounts(_ counts: GGMLQuantizer.ValueCounts, name: String, type: GGMLType) throws {
        if counts.nonFinite > 0 { throw ConversionError.nonFinite(tensor: name, count: counts.nonFinite) }
        if type == .f16, counts.halfOverflow > 0 { throw ConversionError.overflow(tensor: name, count: counts.halfOverflow, dtype: "F16") }
    }
}
