import MPTCore
import MPTFormats
import MPTGraph

/// The one conversion entry point: writes a model as its `OutputPlan` says, switching once into
/// the safetensors, bitsandbytes or GGUF exporter.
public enum ModelExport {
    /// What a conversion wrote.
    public enum Result: Sendable {
        /// A safetensors model directory and the files in it.
        case directory(files: [String])
        /// A GGUF file (or the parts of a split one) and its tensors.
        case ggufFile(tensors: [GGUFExport.PlannedTensor], files: [String])

        /// One line for the tools: the files written, or the tensor count by ggml type and the
        /// row-length fallbacks llama-quantize's rules made.
        public var summary: String {
            switch self {
            case let .directory(files):
                return files.joined(separator: ", ")
            case let .ggufFile(tensors, files):
                let types = Dictionary(grouping: tensors, by: { $0.type.description }).map { "\($0.value.count) \($0.key)" }.sorted()
                let weighted = tensors.filter(\.weighted).count
                return "\(tensors.count) tensors (\(types.joined(separator: ", ")))" + Self.fallbackSummary(tensors)
                    + (weighted > 0 ? "; \(weighted) quantized with the imatrix" : "")
                    + (files.count > 1 ? "; split into \(files.count) parts: " + files.map(Self.fileName).joined(separator: ", ") : "")
            }
        }

        private static func fileName(_ path: String) -> String {
            path.split(separator: "/").last.map(String.init) ?? path
        }

        /// `; 2 fell back (row length not a multiple of the block): Q4_K→Q5_0 ×2 (blk.0.ffn_down.weight, …)`,
        /// or empty when no tensor fell back.
        static func fallbackSummary(_ tensors: [GGUFExport.PlannedTensor]) -> String {
            let fallen = tensors.filter { $0.fallbackFrom != nil }
            guard !fallen.isEmpty else { return "" }
            var groups: [(key: String, names: [String])] = []
            for tensor in fallen {
                let key = "\(tensor.fallbackFrom.map(\.description) ?? "?")→\(tensor.type)"
                if let index = groups.firstIndex(where: { $0.key == key }) {
                    groups[index].names.append(tensor.name)
                } else {
                    groups.append((key, [tensor.name]))
                }
            }
            let parts = groups.map { group in
                "\(group.key) ×\(group.names.count) (\(group.names[0])\(group.names.count > 1 ? ", …" : ""))"
            }
            return "; \(fallen.count) fell back as llama-quantize does (row length not a multiple of the block): "
                + parts.joined(separator: ", ")
        }
    }

    /// Converts `model` into `output` (a model directory, or a `.gguf` file) as `plan` says.
    /// `progress` is called with each tensor's name as its writing starts. The output appears
    /// only complete (written under a temporary name and renamed into place); errors name the file
    /// they concern.
    @discardableResult
    public static func convert(
        model: MPTModel, plan: OutputPlan, to output: String, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> Result {
        switch (plan.format, plan.quant) {
        case (.safetensors, .none):
            return .directory(files: try SafetensorsExport.write(model: model, plan: plan, to: output, progress: progress))
        case (.safetensors, .int8), (.safetensors, .nf4):
            return .directory(files: try BitsAndBytesExport.writeDirectory(model: model, plan: plan, to: output, progress: progress))
        case (.gguf, _):
            let written = try attributing(to: output) { try GGUFExport.write(model: model, to: output, plan: plan, progress: progress) }
            return .ggufFile(tensors: written.tensors, files: written.files)
        case (.safetensors, _):
            // `OutputPlan.init` refuses the GGUF types here; kept as an error rather than a trap.
            throw OutputPlanError.quantization(plan.quant, format: plan.format)
        }
    }

    /// Blocks' linear weights — the tensors that quantization applies to (transformers + bitsandbytes
    /// quantize every `nn.Linear` except the output head).
    public static func isQuantizable(_ tensor: CanonicalTensor) -> Bool {
        guard case let .block(_, kind, .weight) = tensor else { return false }
        return kind == .wqkv || kind == .outProj || kind == .upProj || kind == .downProj
    }
}
