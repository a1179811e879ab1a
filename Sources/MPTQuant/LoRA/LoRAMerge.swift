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
    public static func apply(
        _ update: LoRAUpdate, to values: inout [Float], shape: [Int], threads: Int = 1, kernel: KernelVariant = .simd
    ) throws {
        guard shape.count == 2 else { throw ShapeError(module: update.module, problem: "weight has shape \(shape), not a matrix") }
        try addScaledProduct(into: &values, rows: shape[0], columns: shape[1], a: try update.a.floats(), b: try update.b.floats(),
                             rank: update.rank, scale: update.scale, module: update.module, threads: threads, kernel: kernel)
    }

    /// Adds `scale·(B·A)` to `weight` in place. `weight` is [rows, columns], `a` is [rank, columns],
    /// `b` is [rows, rank], all row-major. Rows are split over `threads` workers.
    public static func addScaledProduct(
        into weight: inout [Float], rows: Int, columns: Int, a: [Float], b: [Float], rank: Int, scale: Float,
        module: String = "", threads: Int = 1, kernel: KernelVariant = .simd
    ) throws {
        guard rows >= 0, columns >= 0, rank > 0,
              weight.count == (try Checked.multiply(rows, columns, "LoRA weight size")),
              a.count == (try Checked.multiply(rank, columns, "lora_A size")),
              b.count == (try Checked.multiply(rows, rank, "lora_B size")) else {
            throw ShapeError(module: module, problem: "sizes W \(weight.count) / A \(a.count) / B \(b.count) do not fit [\(rows), \(columns)] with rank \(rank)")
        }
        guard rows > 0, columns > 0 else { return }
        weight.withUnsafeMutableBufferPointer { w in
            a.withUnsafeBufferPointer { a in
                b.withUnsafeBufferPointer { b in
                    guard let wBase = w.baseAddress, let aBase = a.baseAddress, let bBase = b.baseAddress else { return }
                    let sharedW = SendablePointer(wBase), sharedA = SendablePointer(aBase), sharedB = SendablePointer(bBase)
                    let aCount = a.count
                    forEachChunk(count: rows, threads: threads) { rowRange in
                        let aAll = sharedA.readOnlyBuffer(count: aCount)
                        var delta = [Float](repeating: 0, count: columns)
                        delta.withUnsafeMutableBufferPointer { delta in
                            for row in rowRange {
                                let bRow = sharedB.readOnlyBuffer(from: row * rank, count: rank)
                                let wRow = sharedW.buffer(from: row * columns, count: columns)
                                switch kernel {
                                case .simd: mergeRowSIMD(wRow, delta: delta, a: aAll, bRow: bRow, scale: scale)
                                case .scalar: mergeRowScalar(wRow, a: aAll, bRow: bRow, scale: scale)
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
