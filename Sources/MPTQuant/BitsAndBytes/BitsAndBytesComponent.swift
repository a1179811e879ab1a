import MPTCore

/// One tensor of a bitsandbytes-quantized module as transformers saves it.
public struct BitsAndBytesComponent: Sendable, Hashable {
    /// Name relative to the module, e.g. `weight`, `weight.absmax`, `weight.quant_state.bitsandbytes__nf4`,
    /// `SCB`. The checkpoint name is `<module>.<name>` (e.g. `transformer.blocks.0.ffn.up_proj.weight.absmax`).
    public var name: String
    /// Element type.
    public var dtype: DType
    /// Shape (empty for a scalar).
    public var shape: [Int]
    /// Little-endian element bytes.
    public var bytes: [UInt8]

    /// A component from its parts.
    public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// A float32 component.
    static func floats(_ name: String, _ values: [Float], shape: [Int]) -> BitsAndBytesComponent {
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for value in values {
            let bits = value.bitPattern.littleEndian
            bytes.append(UInt8(truncatingIfNeeded: bits))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 8))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 16))
            bytes.append(UInt8(truncatingIfNeeded: bits >> 24))
        }
        return BitsAndBytesComponent(name: name, dtype: .f32, shape: shape, bytes: bytes)
    }
}

/// Reads the named components of one module from any source of tensor views.
struct ComponentLookup {
    let views: [String: TensorView]

    func view(_ name: String) throws -> TensorView {
        guard let view = views[name] else { throw BitsAndBytesError.missingComponent(name) }
        return view
    }

    /// The float32 values of `name`, which must hold `count` elements.
    func floats(_ name: String, count: Int) throws -> [Float] {
        let view = try view(name)
        guard view.dtype == .f32 else { throw BitsAndBytesError.badComponent(name: name, reason: "dtype \(view.dtype), expected F32") }
        guard view.shape.elementCount == count else {
            throw BitsAndBytesError.badComponent(name: name, reason: "\(view.shape.elementCount) elements, expected \(count)")
        }
        return try view.floats()
    }

    /// The raw bytes of `name`, which must be `count` bytes of a one-byte dtype in `dtypes`.
    func bytes(_ name: String, count: Int, dtypes: Set<DType>) throws -> [UInt8] {
        let view = try view(name)
        guard dtypes.contains(view.dtype) else {
            throw BitsAndBytesError.badComponent(name: name, reason: "dtype \(view.dtype) is not one of \(dtypes.map(\.rawValue).sorted())")
        }
        let byteCount = try Checked.multiply(view.shape.elementCount, view.dtype.byteSize, "\(name) byte count")
        guard byteCount == count else {
            throw BitsAndBytesError.badComponent(name: name, reason: "\(byteCount) bytes, expected \(count)")
        }
        return try view.contiguousBytes()
    }
}

/// Maps checkpoint names to module-relative component names.
enum BitsAndBytesComponentNames {
    /// The module prefix of a weight name: `a.b.weight` → `a.b`, `weight` → empty.
    static func modulePrefix(ofWeight weightName: String) -> String {
        if weightName == "weight" { return "" }
        if weightName.hasSuffix(".weight") { return String(weightName.dropLast(".weight".count)) }
        return weightName
    }

    /// The views for `names` (module-relative) that `collection` holds.
    static func views(_ names: [String], weightName: String, in collection: [String: TensorView]) -> [String: TensorView] {
        let module = modulePrefix(ofWeight: weightName)
        var result: [String: TensorView] = [:]
        for name in names {
            if let view = collection[module.isEmpty ? name : module + "." + name] { result[name] = view }
        }
        return result
    }
}
