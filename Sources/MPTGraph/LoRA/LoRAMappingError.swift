/// Errors placing a LoRA adapter's modules onto an MPT model's weights.
public enum LoRAMappingError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The adapter adapts a module the model has no block linear weight for.
    case unknownModule(module: String, layers: Int)
    /// The adapter has weights for a module its own `target_modules` does not select.
    case notTargeted(module: String)
    /// The adapter has weights for a layer outside its own `layers_to_transform`.
    case layerNotTransformed(module: String, layer: Int)
    /// Two adapter modules name one weight.
    case duplicateModule(first: String, second: String, weight: String)
    /// A factor's shape does not fit the weight it adapts.
    case wrongShape(tensor: String, expected: [Int], found: [Int])
    /// The factors' rank differs from the rank the config gives the module.
    case rankMismatch(module: String, found: Int, expected: Int)
    /// `alpha / r` is not a finite float.
    case badScale(module: String, scale: Double)

    public var description: String {
        switch self {
        case let .unknownModule(module, layers):
            return "adapter module '\(module)' is not a linear layer of this MPT model (LoRA merges into attn.Wqkv, attn.out_proj, ffn.up_proj and ffn.down_proj of blocks 0…\(max(layers - 1, 0)))"
        case let .notTargeted(module):
            return "adapter has weights for module '\(module)', which its target_modules does not select"
        case let .layerNotTransformed(module, layer):
            return "adapter has weights for module '\(module)' in layer \(layer), which its layers_to_transform excludes"
        case let .duplicateModule(first, second, weight):
            return "adapter modules '\(first)' and '\(second)' both adapt '\(weight)'"
        case let .wrongShape(tensor, expected, found):
            return "adapter tensor '\(tensor)' has shape \(found), expected \(expected) for this model"
        case let .rankMismatch(module, found, expected):
            return "adapter module '\(module)' has rank \(found), but adapter_config.json gives it r=\(expected)"
        case let .badScale(module, scale):
            return "adapter module '\(module)' has merge scale \(scale), which is not a finite float"
        }
    }
}
