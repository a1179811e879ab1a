import Foundation

/// `general.size_label` as gguf-py writes it (`model_weight_count_rounded_notation`): the
/// parameter count scaled to K/M/B/T with at least two significant digits, e.g. `1.6M`, `7B`.
public enum GGUFSizeLabel {
    /// The label for `parameters` elements.
    public static func label(parameters: Int) -> String {
        let count = Double(parameters)
        let (scaled, suffix): (Double, String)
        if count > 1e12 {
            (scaled, suffix) = (count * 1e-12, "T")
        } else if count > 1e9 {
            (scaled, suffix) = (count * 1e-9, "B")
        } else if count > 1e6 {
            (scaled, suffix) = (count * 1e-6, "M")
        } else {
            (scaled, suffix) = (count * 1e-3, "K")
        }
        let integerDigits = String(Int(scaled.rounded(.toNearestOrEven))).drop { $0 == "0" }.count
        let decimals = max(2 - integerDigits, 0)
        return String(format: "%.\(decimals)f", scaled) + suffix
    }
}
