/// The storage types of a checkpoint's tensors as `mpt-inspect` summarizes them: tensor count per
/// type, bits per weight and total size (bits per weight as llama-quantize reports it: stored
/// bytes × 8 over all elements).
struct InspectTypeSummary {
    /// (type name, tensor count), most tensors first, ties by name.
    let counts: [(type: String, tensors: Int)]
    /// Stored bytes of all tensors.
    let bytes: Int
    /// Elements of all tensors.
    let elements: Int

    init(rows: [InspectReport.Row]) {
        var byType: [String: Int] = [:]
        for row in rows { byType[row.type, default: 0] += 1 }
        counts = byType.map { (type: $0.key, tensors: $0.value) }
            .sorted { $0.tensors != $1.tensors ? $0.tensors > $1.tensors : $0.type < $1.type }
        bytes = rows.reduce(0) { $0 &+ $1.bytes }
        elements = rows.reduce(0) { $0 &+ $1.parameters }
    }

    /// Bits per stored weight, nil for an empty checkpoint.
    var bitsPerWeight: Double? {
        elements > 0 ? Double(bytes) * 8 / Double(elements) : nil
    }

    /// `types: 8 Q4_0, 5 F32, 1 Q6_K; 4.93 bits per weight; 1234567 bytes (1.1 MiB)`.
    var text: String {
        let types = counts.map { "\($0.tensors) \($0.type)" }.joined(separator: ", ")
        let bits = bitsPerWeight.map { format2($0) + " bits per weight" } ?? "no weights"
        return "types: \(types); \(bits); \(bytes) bytes (\(humanBytes(bytes)))"
    }
}

/// `value` with two decimals (`4.93`), without Foundation's locale-dependent formatting.
func format2(_ value: Double) -> String {
    let hundredths = Int((value * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100)." + (fraction < 10 ? "0" : "") + "\(fraction)"
}
