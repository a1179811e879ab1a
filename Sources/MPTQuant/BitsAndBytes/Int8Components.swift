import MPTCore

extension BitsAndBytesInt8 {
    /// The tensors transformers saves for one `Linear8bitLt` (module-relative names):
    /// `weight` (int8 `[rows, columns]`, the CB codes), `SCB` (float32 `[rows]`, note: on the module,
    /// not under `weight.`), and `weight_format` (uint8 scalar 0 = row-major).
    public static func components(of tensor: Int8RowwiseTensor) -> [BitsAndBytesComponent] {
        [
            BitsAndBytesComponent(name: "weight", dtype: .i8, shape: [tensor.rows, tensor.columns],
                                  bytes: tensor.codes.map { UInt8(bitPattern: $0) }),
            .floats("SCB", tensor.rowAbsmax, shape: [tensor.rows]),
            BitsAndBytesComponent(name: "weight_format", dtype: .u8, shape: [], bytes: [0]),
        ]
    }

    /// Rebuilds the int8 tensor from module-relative components (`weight`, `SCB`, optional `weight_format`).
    public static func tensor(fromComponents views: [String: TensorView]) throws -> Int8RowwiseTensor {
        let lookup = ComponentLookup(views: views)
        let weight = try lookup.view("weight")
        guard weight.dtype == .i8, weight.shape.rank == 2 else {
            throw BitsAndBytesError.badComponent(name: "weight", reason: "\(weight.dtype) \(weight.shape), expected a 2-D I8 matrix")
        }
        let rows = weight.shape.dims[0]
        let columns = weight.shape.dims[1]
        if let format = views["weight_format"] {
            let bytes = try format.contiguousBytes()
            guard format.shape.elementCount == 1, bytes.allSatisfy({ $0 == 0 }) else {
                throw BitsAndBytesError.badComponent(name: "weight_format", reason: "only row-major (0) is supported")
            }
        }
        let scales = try lookup.floats("SCB", count: rows)
        let codes = try weight.contiguousBytes().map { Int8(bitPattern: $0) }
        return Int8RowwiseTensor(rows: rows, columns: columns, codes: codes, rowAbsmax: scales)
    }

    /// Float32 weights (`[rows, columns]`) from saved components.
    public static func dequantize(components views: [String: TensorView]) throws -> (shape: [Int], values: [Float]) {
        let tensor = try tensor(fromComponents: views)
        return ([tensor.rows, tensor.columns], dequantize(tensor))
    }

    /// The components of the module whose weight is `weightName` in `collection`, keyed relative to the module.
    public static func componentViews(weightName: String, in collection: [String: TensorView]) -> [String: TensorView] {
        BitsAndBytesComponentNames.views(["weight", "SCB", "weight_format"], weightName: weightName, in: collection)
    }
}
