import Foundation
import MPTCore
import MPTFormats
import MPTGraph

/// Collects an importance matrix as llama-imatrix does (tools/imatrix/imatrix.cpp
/// `collect_imatrix`, dense `MUL_MAT` branch): for each block linear weight, the sum over every
/// token row of the squared input activation of each input column, and the number of rows
/// summed. The output head is not collected (llama-imatrix without `--process-output`).
///
/// Sums are kept in `Double` (llama-imatrix adds in `Float`, row after row; over the 4096 rows
/// of 8 chunks of 512 that differs by ~1e-5 relative, far inside what its f16 KV cache moves)
/// and stored as `Float`, as the file holds them. Thread-safe; `add` is meant to be the
/// forward pass's `onLinearInput`.
public final class ImportanceAccumulator: @unchecked Sendable {
    /// One weight's running statistics.
    private struct Statistics {
        var sums: [Double]
        var rows: Int64
    }

    private let lock = NSLock()
    private var statistics: [String: Statistics] = [:]
    private let threads: Int

    /// An empty accumulator; `threads` workers split each product's columns.
    public init(threads: Int = 1) {
        self.threads = max(1, threads)
    }

    /// The entry name of block `layer`'s `tensor` (the GGUF weight name, `blk.N.attn_qkv.weight`).
    public static func entryName(layer: Int, tensor: CanonicalTensor.BlockTensor) -> String {
        GGUFNaming.ggufName(for: .block(layer, tensor, .weight))
    }

    /// Adds `input`'s rows: `sums[j] += x[r, j]²` for every row `r`, and `rows` to the count.
    public func add(_ input: LinearInput) {
        let name = Self.entryName(layer: input.layer, tensor: input.tensor)
        let columns = input.columns, rows = input.rows
        lock.lock()
        defer { lock.unlock() }
        var entry = statistics[name] ?? Statistics(sums: [Double](repeating: 0, count: columns), rows: 0)
        // A weight has one input size (its expected shape), so this never drops rows in a forward pass.
        guard entry.sums.count == columns else { return }
        let values = SendablePointer(input.values)
        entry.sums.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            let sums = SendablePointer(base)
            // Columns split over the workers; each worker walks all rows of its columns.
            let workers = min(threads, max(1, rows * columns / 65_536))
            forEachChunk(count: columns, threads: workers, granularity: 16) { range in
                let x = values.readOnly
                for row in 0..<rows {
                    let line = x + row * columns
                    for column in range {
                        let value = Double(line[column])
                        sums.base[column] += value * value
                    }
                }
            }
        }
        entry.rows += Int64(rows)
        statistics[name] = entry
    }

    /// The collected entries, sorted by name (one matrix each: dense weights).
    public var entries: [ImatrixFile.Entry] {
        lock.lock()
        defer { lock.unlock() }
        return statistics.map { name, entry in
            ImatrixFile.Entry(name: name, sums: entry.sums.map { Float($0) }, counts: [entry.rows])
        }.sorted { $0.name < $1.name }
    }
}
