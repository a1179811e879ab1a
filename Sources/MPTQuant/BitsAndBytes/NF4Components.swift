import Foundation
import MPTCore

extension BitsAndBytesNF4 {
    /// Suffix of the packed quant-state tensor (after `weight.`).
    public static let quantStateName = "weight.quant_state.bitsandbytes__nf4"

    /// The tensors transformers saves for one `Linear4bit` weight, in bitsandbytes' order:
    /// `weight` (uint8 `[(n+1)/2, 1]`), `weight.absmax` (float32 `[blocks]`, or uint8 when double
    /// quantized), `weight.quant_map` (float32 `[16]`), then with double quantization
    /// `weight.nested_absmax` (float32 `[ceil(blocks/256)]`) and `weight.nested_quant_map`
    /// (float32 `[256]`), and last `weight.quant_state.bitsandbytes__nf4` (uint8 JSON bytes).
    public static func components(of tensor: NF4QuantizedTensor) -> [BitsAndBytesComponent] {
        var result = [BitsAndBytesComponent(name: "weight", dtype: .u8, shape: [tensor.packed.count, 1], bytes: tensor.packed)]
        var state = NF4QuantStateJSON(
            quant_type: "nf4", blocksize: tensor.blocksize,
            dtype: NF4QuantStateJSON.torchName(of: tensor.sourceDType), shape: tensor.shape)
        switch tensor.absmax {
        case let .plain(values):
            result.append(.floats("weight.absmax", values, shape: [values.count]))
            result.append(.floats("weight.quant_map", BitsAndBytesCodebook.nf4, shape: [16]))
        case let .nested(nested):
            result.append(BitsAndBytesComponent(name: "weight.absmax", dtype: .u8, shape: [nested.codes.count], bytes: nested.codes))
            result.append(.floats("weight.quant_map", BitsAndBytesCodebook.nf4, shape: [16]))
            result.append(.floats("weight.nested_absmax", nested.scales, shape: [nested.scales.count]))
            result.append(.floats("weight.nested_quant_map", BitsAndBytesCodebook.dynamicSigned, shape: [256]))
            state.nested_blocksize = nested.blocksize
            state.nested_dtype = "float32"
            state.nested_offset = Double(nested.offset)
        }
        let json = Array(state.pythonJSON().utf8)
        result.append(BitsAndBytesComponent(name: quantStateName, dtype: .u8, shape: [json.count], bytes: json))
        return result
    }

    /// Rebuilds a quantized tensor from its saved components, keyed by name relative to the module
    /// (`weight`, `weight.absmax`, …), validating every count against the quant state.
    ///
    /// Like bitsandbytes, decoding uses the built-in NF4 table and the file's `nested_quant_map`.
    public static func tensor(fromComponents views: [String: TensorView]) throws -> NF4QuantizedTensor {
        let lookup = ComponentLookup(views: views)
        let stateBytes = try lookup.view(quantStateName).contiguousBytes()
        let state: NF4QuantStateJSON
        do {
            state = try JSONDecoder().decode(NF4QuantStateJSON.self, from: Data(stateBytes))
        } catch {
            throw BitsAndBytesError.badQuantState("not the expected JSON object (\(error))")
        }
        guard state.quant_type == "nf4" else { throw BitsAndBytesError.badQuantState("quant_type '\(state.quant_type)' is not nf4") }
        guard allowedBlocksizes.contains(state.blocksize) else { throw BitsAndBytesError.invalidBlocksize(state.blocksize) }
        guard let dims = state.shape else { throw BitsAndBytesError.badQuantState("no shape") }
        let shape = try Shape(checking: dims)
        guard let sourceDType = NF4QuantStateJSON.dtype(torchName: state.dtype) else {
            throw BitsAndBytesError.badQuantState("dtype '\(state.dtype)' is not a float type")
        }
        let count = shape.elementCount
        let blocks = count / state.blocksize + (count % state.blocksize == 0 ? 0 : 1)
        let packed = try lookup.bytes("weight", count: count / 2 + count % 2, dtypes: [.u8, .i8, .f16, .bf16, .f32])
        let quantMap = try lookup.floats("weight.quant_map", count: 16)
        guard quantMap.count == 16 else { throw BitsAndBytesError.badComponent(name: "weight.quant_map", reason: "not 16 values") }
        let absmax: NF4Absmax
        if let nestedBlocksize = state.nested_blocksize {
            guard nestedBlocksize > 0, nestedBlocksize <= 1 << 20 else {
                throw BitsAndBytesError.badQuantState("nested_blocksize \(nestedBlocksize)")
            }
            guard let offset = state.nested_offset else { throw BitsAndBytesError.badQuantState("nested_offset missing") }
            let codes = try lookup.bytes("weight.absmax", count: blocks, dtypes: [.u8])
            let nestedBlocks = blocks / nestedBlocksize + (blocks % nestedBlocksize == 0 ? 0 : 1)
            let scales = try lookup.floats("weight.nested_absmax", count: nestedBlocks)
            let nestedMap = try lookup.floats("weight.nested_quant_map", count: 256)
            let nested = NF4NestedAbsmax(codes: codes, scales: scales, offset: Float(offset), blocksize: nestedBlocksize)
            guard nestedMap == BitsAndBytesCodebook.dynamicSigned else {
                // A custom nested map: decode with it, and keep the result as plain scales.
                let decoded = DynamicBlockwise8bit(code: nestedMap)
                    .dequantize(codes, absmax: scales, blocksize: nestedBlocksize).map { $0 + Float(offset) }
                return NF4QuantizedTensor(shape: dims, blocksize: state.blocksize, sourceDType: sourceDType,
                                          packed: packed, absmax: .plain(decoded))
            }
            absmax = .nested(nested)
        } else {
            absmax = .plain(try lookup.floats("weight.absmax", count: blocks))
        }
        return NF4QuantizedTensor(shape: dims, blocksize: state.blocksize, sourceDType: sourceDType, packed: packed, absmax: absmax)
    }

    /// Float32 weights from saved components (see `tensor(fromComponents:)`).
    public static func dequantize(components views: [String: TensorView]) throws -> (shape: [Int], values: [Float]) {
        let tensor = try tensor(fromComponents: views)
        return (tensor.shape, dequantize(tensor))
    }

    /// The components of the module whose weight is `weightName` in `collection`
    /// (`<module>.weight`, `<module>.weight.absmax`, …), keyed relative to the module.
    public static func componentViews(weightName: String, in collection: [String: TensorView]) -> [String: TensorView] {
        let names = ["weight", "weight.absmax", "weight.quant_map", "weight.nested_absmax", "weight.nested_quant_map", quantStateName]
        return BitsAndBytesComponentNames.views(names, weightName: weightName, in: collection)
    }
}
