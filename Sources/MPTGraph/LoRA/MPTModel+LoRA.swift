import MPTCore
import MPTFormats

extension CanonicalTensor {
    /// True for the weight of a block's linear layer (`attn.Wqkv`, `attn.out_proj`, `ffn.up_proj`,
    /// `ffn.down_proj`): the only MPT weights a LoRA adapter can adapt.
    public var isBlockLinearWeight: Bool {
        guard case let .block(_, kind, .weight) = self else { return false }
        return kind == .wqkv || kind == .outProj || kind == .upProj || kind == .downProj
    }
}

extension MPTModel {
    /// This model with `adapter` merged: every adapted linear weight becomes
    /// `.merged(base:update:)`, computed only when read. Checks every module against the graph
    /// (name, layer, shapes [r, in] / [out, r], rank) before anything is computed.
    public func mergingLoRA(_ adapter: PeftAdapter) throws -> MPTModel {
        var merged = self
        try attributing(to: adapter.path + "/" + adapter.weightsFile) {
            var linears: [String: CanonicalTensor] = [:]
            for tensor in orderedTensors where tensor.isBlockLinearWeight { linears[tensor.name] = tensor }
            let scheme = NamingScheme.detect(names: adapter.modules.map { $0.module + ".weight" })
            var adaptedBy: [CanonicalTensor: String] = [:]
            for module in adapter.modules {
                guard let tensor = linears[scheme.canonicalName(for: module.module + ".weight")] else {
                    throw LoRAMappingError.unknownModule(module: module.module, layers: config.nLayers)
                }
                if let first = adaptedBy[tensor] {
                    throw LoRAMappingError.duplicateModule(first: first, second: module.module, weight: tensor.name)
                }
                adaptedBy[tensor] = module.module
                let update = try checkedUpdate(module, for: tensor, config: adapter.config)
                merged.tensors[tensor] = .merged(base: try source(tensor), update: update)
            }
            if let other = adapter.otherTensors.first { throw PeftError.unexpectedTensor(name: other) }
            if adapter.modules.isEmpty { throw PeftError.empty }
        }
        return merged
    }

    private func checkedUpdate(_ module: LoRAModuleWeights, for tensor: CanonicalTensor, config adapterConfig: LoRAAdapterConfig) throws -> LoRAUpdate {
        let name = module.module
        guard try adapterConfig.targets(module: name) else { throw LoRAMappingError.notTargeted(module: name) }
        if case let .block(layer, _, _) = tensor, let layers = adapterConfig.layersToTransform, !layers.contains(layer) {
            throw LoRAMappingError.layerNotTransformed(module: name, layer: layer)
        }
        let weightShape = try source(tensor).shape
        guard weightShape.count == 2 else { throw LoRAMappingError.wrongShape(tensor: tensor.name, expected: [0, 0], found: weightShape) }
        let rank = module.rank
        let prefix = PeftAdapter.namePrefix + name
        guard module.a.shape.dims == [rank, weightShape[1]] else {
            throw LoRAMappingError.wrongShape(tensor: prefix + ".lora_A.weight", expected: [rank, weightShape[1]], found: module.a.shape.dims)
        }
        guard module.b.shape.dims == [weightShape[0], rank] else {
            throw LoRAMappingError.wrongShape(tensor: prefix + ".lora_B.weight", expected: [weightShape[0], rank], found: module.b.shape.dims)
        }
        let expectedRank = try adapterConfig.rank(forModule: name)
        guard rank == expectedRank else { throw LoRAMappingError.rankMismatch(module: name, found: rank, expected: expectedRank) }
        let scale = try adapterConfig.scale(forModule: name, rank: rank)
        guard Float(scale).isFinite else { throw LoRAMappingError.badScale(module: name, scale: scale) }
        return LoRAUpdate(module: name, a: module.a, b: module.b, scale: Float(scale))
    }
}
