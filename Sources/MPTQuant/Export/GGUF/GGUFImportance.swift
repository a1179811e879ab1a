import MPTFormats

/// The importance matrix of a GGUF conversion, matched to the tensors being written as
/// llama-quantize matches it (src/llama-quant.cpp): each quantized tensor looks its GGUF name up
/// in the imatrix; a tensor without an entry is quantized without one (llama-quantize's "did not
/// find weights for …"); an entry must have `ne[0]` values (one per column) except for
/// `token_embd.weight`, whose mismatch llama-quantize ignores. Stricter than llama-quantize,
/// an entry naming no tensor of the model is an error (the file belongs to another model).
public struct GGUFImportance: Sendable {
    /// The imatrix file as read.
    public let file: ImatrixFile
    /// Its path, as given (llama-quantize records it in `quantize.imatrix.file`).
    public let path: String
    /// Per-column importance by GGUF tensor name, for the tensors that get one.
    public let byTensor: [String: [Float]]

    /// Reads `path` and matches it to `tensors`; throws `ImatrixError` naming the file and the
    /// tensor for an unreadable file or an entry that does not fit the model.
    public init(path: String, tensors: [GGUFExport.PlannedTensor]) throws {
        let file = try ImatrixFile.read(path: path)
        let rowLengths = Dictionary(tensors.map { ($0.name, $0.shape.last ?? 1) }, uniquingKeysWith: { first, _ in first })
        var byTensor: [String: [Float]] = [:]
        for entry in file.entries {
            guard let columns = rowLengths[entry.name] else {
                throw ImatrixError.unknownTensor(file: path, tensor: entry.name)
            }
            let importance = file.importance(of: entry)
            guard importance.count == columns else {
                if entry.name == GGUFImportance.tokenEmbeddingName { continue }
                throw ImatrixError.sizeMismatch(file: path, tensor: entry.name, entryValues: importance.count, tensorColumns: columns)
            }
            byTensor[entry.name] = importance
        }
        self.file = file
        self.path = path
        self.byTensor = byTensor
    }

    /// llama.cpp's `tensor_name_match_token_embd`.
    static let tokenEmbeddingName = "token_embd.weight"

    /// The importance for tensor `name` written as `type`: nil when the imatrix has no entry for
    /// it or ggml's quantizer for the type ignores one (Q8_0, dense types).
    public func importance(for name: String, type: GGMLType) -> [Float]? {
        guard GGMLQuantizer.usesImportance(type) else { return nil }
        return byTensor[name]
    }

    /// llama.cpp's `tensor_requires_imatrix` for the types encoded here: IQ3_XXS, except for the
    /// token embedding and the head.
    static func requiresImportance(_ name: String, type: GGMLType) -> Bool {
        type == .iq3_XXS && name != tokenEmbeddingName && name != "output.weight"
    }

    /// The metadata llama-quantize adds for an imatrix (its `kv_overrides`, written after
    /// everything else): `quantize.imatrix.file`, `.dataset` (the first, when there is one),
    /// `.entries_count`, and `.chunks_count` (when positive). Strings are cut at 127 bytes, as
    /// llama-quantize's `strncpy` into `val_str[128]` cuts them.
    public var metadata: [(key: String, value: GGUFValue)] {
        var entries: [(key: String, value: GGUFValue)] = [("quantize.imatrix.file", .string(Self.truncated(path)))]
        if let dataset = file.datasets.first { entries.append(("quantize.imatrix.dataset", .string(Self.truncated(dataset)))) }
        entries.append(("quantize.imatrix.entries_count", .uint32(UInt32(clamping: file.entries.count))))
        if file.chunkCount > 0 { entries.append(("quantize.imatrix.chunks_count", .uint32(UInt32(clamping: file.chunkCount)))) }
        return entries
    }

    static func truncated(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.count > 127 else { return text }
        return String(decoding: bytes[0..<127], as: UTF8.self)
    }
}
