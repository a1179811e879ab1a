import MPTCore
import MPTGraph

/// The LoRA merge `W' = W + scale·(B·A)` in float32, one output row at a time: the row of B·A is
/// accumulated over the rank (k = 0, 1, …, r−1), multiplied by the scale, then added to W (the
/// order of peft's `weight + (B @ A) * scaling`). Only one row of the product is ever held.
public enum LoRAMerge {
    /// Sizes that do not describe W [rows, columns], A [rank, columns], B [rows, rank].
    public struct ShapeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// The adapter module, for the message.
        public var module: String
        /// What does not fit.
        public var problem: String

        public var description: String { "LoRA merge of '\(module)': \(problem)" }
    }

    /// Merges `update` into `values`, the base weight (row-major, `shape` [out, in]), in place.
    public static func apply(_ update: LoRAUpdate, to values: inout [Float], shape: [Int], useSIMD: Bool = true) throws {
        guard shape.count == 2 else { throw ShapeError(module: update.module, problem: "weight has shape \(shape), not a matrix") }
        try addScaledProduct(into: &values, rows: shape[0], columns: shape[1], a: try update.a.floats(), b: try update.b.floats(),
                             rank: update.rank, scale: update.scale, module: update.module, useSIMD: useSIMD)
    }

    /// Adds `scale·(B·A)` to `weight` in place. `weight` is [rows, columns], `a` is [rank, columns],
    /// `b` is [rows, rank], all row-major.
    public static func addScaledProduct(
        into weight: inout [Float], rows: Int, columns: Int, a: [Float], b: [Float], rank: Int, scale: Float,
        module: String = "", useSIMD: Bool = true
    ) throws {
        guard rows >= 0, columns >= 0, rank > 0,
              weight.count == (try Checked.multiply(rows, columns, "LoRA weight size")),
              a.count == (try Checked.multiply(rank, columns, "lora_A size")),
              b.count == (try Checked.multiply(rows, rank, "lora_B size")) else {
            throw ShapeError(module: module, problem: "sizes W \(weight.count) / A \(a.count) / B \(b.count) do not fit [\(rows), \(columns)] with rank \(rank)")
        }
        guard rows > 0, columns > 0 else { return }
        var delta = [Float](repeating: 0, count: columns)
        weight.withUnsafeMutableBufferPointer { w in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    delta.withUnsafeMutableBufferPointer { delta in
                        for row in 0..<rows {
                            let bRow = UnsafeBufferPointer(rebasing: b[(row * rank)..<(row * rank + rank)])
                            let wRow = UnsafeMutableBufferPointer(rebasing: w[(row * columns)..<(row * columns + columns)])
                            if useSIMD {
                                mergeRowSIMD(wRow, delta: delta, a: a, bRow: bRow, scale: scale)
                            } else {
                                mergeRowScalar(wRow, a: a, bRow: bRow, scale: scale)
                            }
                        }
                    }
                }
            }
        }
    }
}
