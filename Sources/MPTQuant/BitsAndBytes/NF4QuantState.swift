import Foundation
import MPTCore

/// The non-tensor part of an NF4 quant state, which bitsandbytes packs as UTF-8 JSON into the uint8
/// tensor `weight.quant_state.bitsandbytes__nf4` (`QuantState.as_dict(packed=True)`).
///
/// Keys, in the order `json.dumps` writes them: `quant_type`, `blocksize`, `dtype`, `shape`, and with
/// double quantization `nested_blocksize`, `nested_dtype`, `nested_offset`.
public struct NF4QuantStateJSON: Sendable, Hashable, Codable {
    /// `"nf4"` (bitsandbytes also writes `"fp4"`, which MPTKit does not read).
    public var quant_type: String
    /// Values per block.
    public var blocksize: Int
    /// Original dtype, torch spelling without `torch.`: `float32`, `float16`, `bfloat16`.
    public var dtype: String
    /// Original shape.
    public var shape: [Int]?
    /// Codes per nested block (256).
    public var nested_blocksize: Int?
    /// Always `float32`.
    public var nested_dtype: String?
    /// Mean absmax subtracted before double quantization (a Python float).
    public var nested_offset: Double?

    /// The exact bytes `json.dumps` produces for these fields (Python separators and float repr).
    public func pythonJSON() -> String {
        var parts = [
            "\"quant_type\": \"\(quant_type)\"",
            "\"blocksize\": \(blocksize)",
            "\"dtype\": \"\(dtype)\"",
            "\"shape\": " + (shape.map { "[" + $0.map(String.init).joined(separator: ", ") + "]" } ?? "null"),
        ]
        if let nested_blocksize, let nested_dtype, let nested_offset {
            parts.append("\"nested_blocksize\": \(nested_blocksize)")
            parts.append("\"nested_dtype\": \"\(nested_dtype)\"")
            parts.append("\"nested_offset\": " + PythonFloatText.repr(nested_offset))
        }
        return "{" + parts.joined(separator: ", ") + "}"
    }

    /// torch's spelling of a dtype (`torch.float16` → `float16`).
    public static func torchName(of dtype: DType) -> String {
        switch dtype {
        case .f32: return "float32"
        case .f16: return "float16"
        case .bf16: return "bfloat16"
        case .f64: return "float64"
        default: return dtype.rawValue.lowercased()
        }
    }

    /// The DType for a torch spelling, if it is a float type MPTKit handles.
    public static func dtype(torchName: String) -> DType? {
        switch torchName {
        case "float32": return .f32
        case "float16": return .f16
        case "bfloat16": return .bf16
        case "float64": return .f64
        default: return nil
        }
    }
}
