import MPTCore

/// One adapted module of a LoRA adapter: its name in the base model and its two factors.
public struct LoRAModuleWeights: Sendable {
    /// Module name in the base model, e.g. `transformer.blocks.0.attn.Wqkv`.
    public var module: String
    /// `lora_A.weight`, shape [r, in].
    public var a: TensorView
    /// `lora_B.weight`, shape [out, r].
    public var b: TensorView

    /// The rank `r` (rows of A, which equal the columns of B).
    public var rank: Int { a.shape.dims[0] }
}

/// A peft LoRA adapter directory as saved by `save_pretrained`: `adapter_config.json` plus
/// `adapter_model.safetensors` (preferred) or `adapter_model.bin`.
public struct PeftAdapter: Sendable {
    /// Prefix peft puts in front of every saved name.
    public static let namePrefix = "base_model.model."

    /// The directory given.
    public var path: String
    /// The checked config.
    public var config: LoRAAdapterConfig
    /// The weights file read, relative to `path`.
    public var weightsFile: String
    /// LoRA factor pairs, in the order the file lists their `lora_A` tensors.
    public var modules: [LoRAModuleWeights]
    /// Tensors of the file that are not LoRA factors (e.g. a saved `base_layer.weight` or a DoRA
    /// magnitude). A merge must refuse the adapter when this is not empty.
    public var otherTensors: [String]

    /// Opens an adapter directory. Errors name the file they concern.
    public static func open(_ givenPath: String) throws -> PeftAdapter {
        var path = givenPath
        while path.count > 1, path.hasSuffix("/") { path.removeLast() }
        switch FileKind.of(path) {
        case .directory: break
        case .missing: throw FileError(path: path, underlying: FormatError.unrecognized("no such adapter directory"))
        case .file: throw FileError(path: path, underlying: FormatError.unrecognized("a peft adapter is a directory with adapter_config.json and adapter_model.safetensors, not a file"))
        }
        let configPath = path + "/adapter_config.json"
        guard let json = try CheckpointLoader.readConfig(configPath, required: false) else {
            throw FileError(path: path, underlying: PeftError.noConfig(path))
        }
        let config = try attributing(to: configPath) { try LoRAAdapterConfig(json: json) }
        let candidates: [(file: String, read: (String) throws -> TensorCollection)] = [
            ("adapter_model.safetensors", { try SafetensorsFile.read(path: $0) }),
            ("adapter_model.bin", { try PyTorchCheckpoint.read(path: $0) }),
        ]
        guard let chosen = candidates.first(where: { FileKind.of(path + "/" + $0.file) == .file }) else {
            throw FileError(path: path, underlying: PeftError.noWeights(path))
        }
        let weightsPath = path + "/" + chosen.file
        return try attributing(to: weightsPath) {
            let tensors = try chosen.read(weightsPath)
            let (modules, others) = try pairFactors(tensors)
            return PeftAdapter(path: path, config: config, weightsFile: chosen.file, modules: modules, otherTensors: others)
        }
    }

    /// Groups `…<module>.lora_A.weight` / `…<module>.lora_B.weight` into pairs and checks that each
    /// pair is two 2-D float matrices of one rank.
    static func pairFactors(_ tensors: TensorCollection) throws -> (modules: [LoRAModuleWeights], others: [String]) {
        var order: [String] = []
        var factorA: [String: TensorView] = [:]
        var factorB: [String: TensorView] = [:]
        var others: [String] = []
        for name in tensors.names {
            guard let view = tensors[name] else { continue }
            guard name.hasPrefix(namePrefix) else { others.append(name); continue }
            let inner = name.dropFirst(namePrefix.count)
            if inner.hasSuffix(".lora_A.weight") {
                let module = String(inner.dropLast(".lora_A.weight".count))
                order.append(module)
                factorA[module] = view
            } else if inner.hasSuffix(".lora_B.weight") {
                factorB[String(inner.dropLast(".lora_B.weight".count))] = view
            } else {
                others.append(name)
            }
        }
        for module in factorB.keys.sorted() where factorA[module] == nil {
            throw PeftError.missingPair(module: module, missing: "lora_A")
        }
        var modules: [LoRAModuleWeights] = []
        for module in order {
            guard let a = factorA[module] else { continue }
            guard let b = factorB[module] else { throw PeftError.missingPair(module: module, missing: "lora_B") }
            let aName = namePrefix + module + ".lora_A.weight"
            let bName = namePrefix + module + ".lora_B.weight"
            for (name, view) in [(aName, a), (bName, b)] {
                guard view.dtype.isFloatingPoint else { throw PeftError.badTensor(name: name, problem: "has dtype \(view.dtype.rawValue); LoRA factors must be floating point") }
                guard view.shape.rank == 2 else { throw PeftError.badTensor(name: name, problem: "has shape \(view.shape.dims); LoRA factors are 2-D matrices") }
            }
            guard a.shape.dims[0] > 0, a.shape.dims[0] == b.shape.dims[1] else {
                throw PeftError.badTensor(name: bName, problem: "has shape \(b.shape.dims), which does not match lora_A's rank \(a.shape.dims[0]) (lora_A is \(a.shape.dims))")
            }
            modules.append(LoRAModuleWeights(module: module, a: a, b: b))
        }
        if modules.isEmpty && others.isEmpty { throw PeftError.empty }
        return (modules, others)
    }
}
