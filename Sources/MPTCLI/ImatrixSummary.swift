import Foundation
import MPTFormats
import MPTGraph
import MPTReference

/// The last line of `mpt-imatrix`: chunks and tokens run, weights collected out of the model's
/// block linear weights, and coverage — the share of input columns whose sum is non-zero.
struct ImatrixSummary {
    let imatrix: ImatrixFile
    let config: MPTConfig
    let output: String
    let form: String

    var line: String {
        let expected = ImatrixCollection.collectedWeightNames(config)
        let collected = imatrix.entries.filter { expected.contains($0.name) }.count
        let columns = imatrix.entries.reduce(0) { $0 + $1.sums.count }
        let nonZero = imatrix.entries.reduce(0) { $0 + $1.sums.filter { $0 > 0 }.count }
        let coverage = columns > 0 ? Double(nonZero) / Double(columns) * 100 : 0
        let tokens = imatrix.chunkCount * imatrix.chunkSize
        return "mpt-imatrix: \(imatrix.chunkCount) chunks × \(imatrix.chunkSize) tokens = \(tokens) tokens; "
            + "\(collected)/\(expected.count) block linear weights collected (output head excluded, as llama-imatrix); "
            + "coverage \(String(format: "%.2f", coverage))% of \(columns) columns non-zero; wrote \(output) (\(form))"
    }
}
