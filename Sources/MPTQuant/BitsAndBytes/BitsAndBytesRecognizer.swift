import Foundation
import MPTCore
import MPTFormats
import MPTGraph

/// Finds bitsandbytes-serialized weights (NF4 `Linear4bit`, LLM.int8 `Linear8bitLt`) in a
/// checkpoint and presents each as one `QuantizedTensor` (format `NF4` or `INT8`) whose
/// components are the saved tensors, keyed relative to the module.
public struct BitsAndBytesRecognizer: QuantizedTensorRecognizer {
    /// Largest quant-state JSON accepted (bitsandbytes writes about 200 bytes).
    public static let maxQuantStateBytes = 64 << 10

    public init() {}

    public func recognize(_ tensors: TensorCollection, config: JSONValue?) throws -> (weights: [String: QuantizedTensor], consumed: Set<String>) {
        var weights: [String: QuantizedTensor] = [:]
        var consumed = Set<String>()
        let stateSuffix = "." + BitsAndBytesNF4.quantStateName
        for name in tensors.names {
            if name.hasSuffix(stateSuffix) {
                let module = String(name.dropLast(stateSuffix.count))
                let weightName = module + ".weight"
                let views = BitsAndBytesNF4.componentViews(weightName: weightName, in: tensors.tensors)
                let shape = try nf4Shape(views, name: name)
                weights[weightName] = QuantizedTensor(format: "NF4", shape: shape, components: views)
                consumed.formUnion(views.keys.map { module + "." + $0 })
            } else if name.hasSuffix(".SCB") {
                let module = String(name.dropLast(".SCB".count))
                let weightName = module + ".weight"
                let views = BitsAndBytesInt8.componentViews(weightName: weightName, in: tensors.tensors)
                guard let codes = views["weight"], codes.dtype == .i8, codes.shape.rank == 2 else {
                    throw BitsAndBytesError.badComponent(name: weightName, reason: "an int8 module needs a 2-D int8 weight next to its SCB")
                }
                weights[weightName] = QuantizedTensor(format: "INT8", shape: codes.shape.dims, components: views)
                consumed.formUnion(views.keys.map { module + "." + $0 })
            }
        }
        return (weights, consumed)
    }

    private func nf4Shape(_ views: [String: TensorView], name: String) throws -> [Int] {
        guard let state = views[BitsAndBytesNF4.quantStateName] else {
            throw BitsAndBytesError.badComponent(name: name, reason: "missing quant state")
        }
        guard state.byteCount <= Self.maxQuantStateBytes else {
            throw BitsAndBytesError.badQuantState("\(name) holds \(state.byteCount) bytes, more than \(Self.maxQuantStateBytes)")
        }
        let decoded: NF4QuantStateJSON
        do {
            decoded = try JSONDecoder().decode(NF4QuantStateJSON.self, from: Data(try state.contiguousBytes()))
        } catch {
            throw BitsAndBytesError.badQuantState("\(name) is not the expected JSON object")
        }
        guard let shape = decoded.shape else { throw BitsAndBytesError.badQuantState("\(name) has no shape") }
        _ = try Shape(checking: shape)
        return shape
    }
}
