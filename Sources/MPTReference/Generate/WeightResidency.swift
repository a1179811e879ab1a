import MPTGraph

/// Where generation takes its weights from at each step.
public enum WeightResidency: String, Sendable {
    /// All weights decoded to `Float` once and kept in memory (fast steps; memory = 4 bytes per
    /// parameter).
    case resident
    /// Each step re-reads and re-decodes every tensor from the checkpoint, like the full forward
    /// pass (memory stays at about one tensor; every step pays a full decode of the model).
    case streamed

    /// Default budget for keeping weights resident: 4 GiB of `Float` (about 1B parameters).
    public static let defaultBudgetBytes = 4 << 30

    /// Bytes all weights of `config` take as `Float`, or `nil` if that overflows `Int`.
    public static func decodedBytes(of config: MPTConfig) -> Int? {
        var total = 0
        for tensor in CanonicalTensor.all(for: config) {
            var elements = MemoryLayout<Float>.stride
            for dimension in tensor.expectedShape(config) {
                let (product, overflow) = elements.multipliedReportingOverflow(by: dimension)
                guard !overflow else { return nil }
                elements = product
            }
            let (sum, overflow) = total.addingReportingOverflow(elements)
            guard !overflow else { return nil }
            total = sum
        }
        return total
    }

    /// `.resident` when the decoded weights fit in `budgetBytes`, else `.streamed`.
    public static func choose(for config: MPTConfig, budgetBytes: Int = defaultBudgetBytes) -> WeightResidency {
        guard let bytes = decodedBytes(of: config), bytes <= budgetBytes else { return .streamed }
        return .resident
    }
}
