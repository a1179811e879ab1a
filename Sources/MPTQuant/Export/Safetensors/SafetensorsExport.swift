import MPTCore
import MPTFormats
import MPTGraph

/// Writes an unquantized safetensors model directory: every tensor cast to the plan's dtype
/// (LoRA merges computed in float32 before the cast, each when the writer reaches it), single
/// file or sharded, plus config.json and the input's tokenizer files.
public enum SafetensorsExport {
    /// Writes `model` into the model directory `output`.
    /// - Returns: the files written.
    @discardableResult
    public static func write(
        model: MPTModel, plan: OutputPlan, to output: String, progress: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> [String] {
        try ModelDirectoryExport.write(model: model, plan: plan, to: output) { temporaryDirectory in
            let tensors = try attributing(to: model.checkpoint.path) { try outputTensors(model: model, plan: plan) }
            let reporting = tensors.map { tensor in
                OutputTensor(name: tensor.name, dtype: tensor.dtype, shape: tensor.shape) { sink in
                    progress(tensor.name)
                    try tensor.produce(sink)
                }
            }
            return try attributing(to: model.checkpoint.path) {
                try SafetensorsWriter.writeModel(directory: temporaryDirectory, tensors: reporting, shardSize: plan.shardSize,
                                                 durable: plan.isDurable)
            }
        }
    }

    /// The output tensors, in model order, under canonical names.
    public static func outputTensors(model: MPTModel, plan: OutputPlan) throws -> [OutputTensor] {
        let target = plan.storageDType(for: model).dtype
        return try model.orderedTensors.map { tensor in
            try DTypeCast.tensor(name: tensor.name, source: try model.source(tensor), target: target,
                                 allowNonfinite: plan.allowNonfinite, threads: plan.threads)
        }
    }
}
