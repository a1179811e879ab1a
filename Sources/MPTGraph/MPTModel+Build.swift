import MPTCore
import MPTFormats

/// Recognizes quantized tensors written by other tools (bitsandbytes, GGML) from their component
/// names. The quantizer layer registers one; by default nothing is treated as quantized.
public protocol QuantizedTensorRecognizer: Sendable {
    /// Groups component tensors into quantized weights. Returns the quantized weights by their
    /// base name (e.g. `transformer.blocks.0.attn.Wqkv.weight`) and the names it consumed.
    func recognize(_ tensors: TensorCollection, config: JSONValue?) throws -> (weights: [String: QuantizedTensor], consumed: Set<String>)
}

extension MPTModel {
    /// Builds and validates the model graph of a checkpoint: config normalized, names mapped,
    /// every expected tensor present with the expected shape, nothing unexplained left over.
    /// A GGUF checkpoint without config.json takes its config from the file's metadata
    /// (`MPTConfig(gguf:)`) and its quantized tensors from `GGUFTensorRecognizer`.
    public init(checkpoint: Checkpoint, recognizer: (any QuantizedTensorRecognizer)? = nil) throws {
        if checkpoint.config == nil, let gguf = checkpoint.gguf {
            let config = try attributing(to: checkpoint.path) { try MPTConfig(gguf: gguf) }
            try self.init(checkpoint: checkpoint, config: config, flavour: .gguf, recognizer: GGUFTensorRecognizer(file: gguf))
            return
        }
        guard let json = checkpoint.config else {
            throw FileError(path: checkpoint.path, underlying: GraphError.missingKey("config.json (no config found next to the weights)"))
        }
        let (config, flavour) = try attributing(to: checkpoint.path + "/config.json") { try MPTConfig.normalize(json) }
        try self.init(checkpoint: checkpoint, config: config, flavour: flavour, recognizer: recognizer)
    }

    /// Builds the graph with an already normalized config.
    public init(checkpoint: Checkpoint, config: MPTConfig, flavour: ConfigFlavour, recognizer: (any QuantizedTensorRecognizer)? = nil) throws {
        let collection = checkpoint.tensors
        var quantized: [String: QuantizedTensor] = [:]
        var consumed = Set<String>()
        if let recognizer {
            (quantized, consumed) = try attributing(to: checkpoint.path) { try recognizer.recognize(collection, config: checkpoint.config) }
        }
        let scheme = NamingScheme.detect(names: collection.names)
        let expected = CanonicalTensor.all(for: config)
        var byName: [String: CanonicalTensor] = [:]
        for tensor in expected { byName[tensor.name] = tensor }

        var tensors: [CanonicalTensor: TensorSource] = [:]
        var sourceNames: [CanonicalTensor: String] = [:]
        var ignored: [(name: String, reason: String)] = []
        var candidates: [(fileName: String, source: TensorSource)] = []
        for name in collection.names where !consumed.contains(name) {
            guard let view = collection[name] else { continue }
            candidates.append((name, .dense(view)))
        }
        for (name, tensor) in quantized.sorted(by: { $0.key < $1.key }) { candidates.append((name, .quantized(tensor))) }

        try attributing(to: checkpoint.path) {
            for (fileName, source) in candidates {
                let canonical = scheme.canonicalName(for: fileName)
                guard let tensor = byName[canonical] else {
                    if canonical == CanonicalTensor.lmHead.name && config.tiedEmbeddings {
                        ignored.append((fileName, "output head is tied to the token embedding"))
                        continue
                    }
                    throw GraphError.unexpectedTensor(fileName)
                }
                if let first = sourceNames[tensor] {
                    throw GraphError.duplicateTensor(canonical: tensor.name, first: first, second: fileName)
                }
                if case let .dense(view) = source, !view.dtype.isFloatingPoint {
                    throw GraphError.unsupportedDType(tensor: fileName, dtype: view.dtype.rawValue)
                }
                let want = tensor.expectedShape(config)
                guard source.shape == want else { throw GraphError.wrongShape(tensor: fileName, expected: want, found: source.shape) }
                tensors[tensor] = source
                sourceNames[tensor] = fileName
            }
            for tensor in expected where tensors[tensor] == nil {
                throw GraphError.missingTensor(scheme.dialect == .gguf ? GGUFNaming.ggufName(for: tensor) : scheme.prefix + tensor.name)
            }
        }
        self.config = config
        self.flavour = flavour
        self.scheme = scheme
        self.tensors = tensors
        self.sourceNames = sourceNames
        self.checkpoint = checkpoint
        self.ignored = ignored
    }
}
