import MPTCore
import MPTFormats
import MPTGraph

/// What `mpt-inspect` shows, rendered as text or JSON.
struct InspectReport {
    struct Row {
        var name: String
        var canonical: String?
        var type: String
        var shape: [Int]
        var bytes: Int
        var parameters: Int
    }

    let checkpoint: Checkpoint
    let model: MPTModel?
    let rows: [Row]

    init(checkpoint: Checkpoint, model: MPTModel?) {
        self.checkpoint = checkpoint
        self.model = model
        if let model {
            var canonicalByFile: [String: String] = [:]
            for (tensor, name) in model.sourceNames { canonicalByFile[name] = tensor.name }
            var rows: [Row] = []
            for tensor in model.orderedTensors {
                guard let source = model.tensors[tensor], let name = model.sourceNames[tensor] else { continue }
                let parameters = source.shape.reduce(1) { $0 &* $1 }
                rows.append(Row(name: name, canonical: tensor.name, type: source.typeName, shape: source.shape,
                                bytes: source.storedBytes, parameters: parameters))
            }
            for (name, _) in model.ignored {
                if let view = checkpoint.tensors[name] {
                    rows.append(Row(name: name, canonical: nil, type: view.dtype.rawValue, shape: view.shape.dims,
                                    bytes: view.byteCount, parameters: view.shape.elementCount))
                }
            }
            self.rows = rows
        } else {
            rows = checkpoint.tensors.names.compactMap { name in
                guard let view = checkpoint.tensors[name] else { return nil }
                return Row(name: name, canonical: nil, type: view.dtype.rawValue, shape: view.shape.dims,
                           bytes: view.byteCount, parameters: view.shape.elementCount)
            }
        }
    }

    private var totalBytes: Int { rows.reduce(0) { $0 &+ $1.bytes } }
    private var totalParameters: Int { rows.filter { $0.canonical != nil || model == nil }.reduce(0) { $0 &+ $1.parameters } }

    func text() -> String {
        var out = "model:   \(checkpoint.path)\n"
        out += "format:  \(checkpoint.format.rawValue) (\(checkpoint.files.joined(separator: ", ")))\n"
        out += "kernels: \(KernelLevel.active.rawValue) (the forward kernels this process runs: the CPU's best, or \(KernelLevel.environmentVariable))\n"
        if checkpoint.pytorchLayout == .composer {
            let config = checkpoint.configFromCheckpoint ? "config from state.integrations.huggingface" : "config from config.json"
            out += "         Composer checkpoint: weights from state.model (optimizer, RNG and timestamp state not read); \(config)\n"
        }
        if let model {
            let c = model.config
            out += "config:  \(model.flavour.rawValue); naming scheme: \(model.scheme)\n"
            out += "  d_model \(c.dModel), n_heads \(c.nHeads) (head_dim \(c.headDim)), n_layers \(c.nLayers), "
            out += "ffn_hidden \(c.ffnHiddenSize), vocab \(c.vocabSize), max_seq_len \(c.maxSeqLen)\n"
            out += "  alibi \(c.alibi ? "on (bias max \(format(c.alibiBiasMax)))" : "off"), "
            out += "learned positions \(c.learnedPositionEmbedding ? "on" : "off"), "
            out += "clip_qkv \(c.clipQKV.map(format) ?? "off"), "
            out += "softmax_scale \(c.softmaxScale.map(format) ?? "1/sqrt(head_dim)"), "
            out += "qk_ln \(c.qkLayerNorm ? "on" : "off"), biases \(c.noBias ? "off" : "on"), "
            out += "logit_scale \(c.logitScale.map(format) ?? "off"), "
            out += "layer_norm_eps \(format(c.layerNormEpsilon)), head \(c.tiedEmbeddings ? "tied" : "separate")\n"
        } else {
            out += "config:  none (no config.json next to the weights)\n"
        }
        if let tokenizer = checkpoint.tokenizerPath {
            out += checkpoint.format == .gguf ? "tokenizer: stored in the file (tokenizer.ggml.*)\n" : "tokenizer: \(tokenizer)\n"
        }
        let nameWidth = max(4, rows.map(\.name.count).max() ?? 0)
        let typeWidth = max(5, rows.map(\.type.count).max() ?? 0)
        let shapeTexts = rows.map { "[" + $0.shape.map(String.init).joined(separator: ", ") + "]" }
        let shapeWidth = max(5, shapeTexts.map(\.count).max() ?? 0)
        out += "\n" + pad("name", nameWidth) + "  " + pad("dtype", typeWidth) + "  " + pad("shape", shapeWidth) + "  bytes\n"
        for (row, shape) in zip(rows, shapeTexts) {
            var line = pad(row.name, nameWidth) + "  " + pad(row.type, typeWidth) + "  " + pad(shape, shapeWidth) + "  \(row.bytes)"
            if row.canonical == nil, model != nil { line += "  (ignored: tied to wte)" }
            out += line + "\n"
        }
        out += "\ntotal: \(rows.count) tensors, \(totalParameters) parameters, \(totalBytes) bytes (\(humanBytes(totalBytes)))\n"
        out += InspectTypeSummary(rows: rows).text + "\n"
        return out
    }

    func json() -> String {
        var members: [(key: String, value: JSONValue)] = [
            ("path", .string(checkpoint.path)),
            ("format", .string(checkpoint.format.rawValue)),
            ("files", .array(checkpoint.files.map { .string($0) })),
            ("kernel_level", .string(KernelLevel.active.rawValue)),
        ]
        if let model {
            let c = model.config
            members.append(("flavour", .string(model.flavour.rawValue)))
            members.append(("naming_scheme", .string(model.scheme.description)))
            members.append(("config", .object([
                ("d_model", .int(c.dModel)), ("n_heads", .int(c.nHeads)), ("n_layers", .int(c.nLayers)),
                ("ffn_hidden_size", .int(c.ffnHiddenSize)), ("vocab_size", .int(c.vocabSize)),
                ("max_seq_len", .int(c.maxSeqLen)), ("layer_norm_epsilon", .double(c.layerNormEpsilon)),
                ("no_bias", .bool(c.noBias)), ("alibi", .bool(c.alibi)), ("alibi_bias_max", .double(c.alibiBiasMax)),
                ("clip_qkv", c.clipQKV.map(JSONValue.double) ?? .null),
                ("softmax_scale", c.softmaxScale.map(JSONValue.double) ?? .null),
                ("qk_ln", .bool(c.qkLayerNorm)), ("logit_scale", c.logitScale.map(JSONValue.double) ?? .null),
                ("learned_pos_emb", .bool(c.learnedPositionEmbedding)), ("tied_embeddings", .bool(c.tiedEmbeddings)),
            ])))
        }
        members.append(("tensors", .array(rows.map { row in
            .object([
                ("name", .string(row.name)),
                ("canonical", row.canonical.map(JSONValue.string) ?? .null),
                ("dtype", .string(row.type)),
                ("shape", .array(row.shape.map { .int($0) })),
                ("bytes", .int(row.bytes)),
            ])
        })))
        members.append(("total_parameters", .int(totalParameters)))
        members.append(("total_bytes", .int(totalBytes)))
        let summary = InspectTypeSummary(rows: rows)
        members.append(("types", .object(summary.counts.map { (key: $0.type, value: JSONValue.int($0.tensors)) })))
        members.append(("bits_per_weight", summary.bitsPerWeight.map(JSONValue.double) ?? .null))
        return JSONWriter.pretty(.object(members))
    }

    private func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

/// `1.5 MiB` style.
func humanBytes(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 { value /= 1024; unit += 1 }
    return unit == 0 ? "\(bytes) B" : String(Int(value * 10) / 10) + "." + String(Int(value * 10) % 10) + " " + units[unit]
}

/// Shortest text of a number (`8`, `0.75`, `1e-05`).
func format(_ value: Double) -> String {
    if value.rounded() == value && abs(value) < 1e9 { return String(Int(value)) }
    return String(value)
}
