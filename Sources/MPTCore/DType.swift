/// Element types as spelled in safetensors headers (and used throughout MPTKit).
///
/// `F8_E4M3` and `F8_E5M2` are readable as data (converted to `Float` on demand) but no writer
/// produces them.
public enum DType: String, Sendable, CaseIterable, Codable, CustomStringConvertible {
    case f64 = "F64"
    case f32 = "F32"
    case f16 = "F16"
    case bf16 = "BF16"
    case i64 = "I64"
    case i32 = "I32"
    case i16 = "I16"
    case i8 = "I8"
    case u8 = "U8"
    case bool = "BOOL"
    case f8e4m3 = "F8_E4M3"
    case f8e5m2 = "F8_E5M2"

    /// Size of one element in bytes.
    public var byteSize: Int {
        switch self {
        case .f64, .i64: return 8
        case .f32, .i32: return 4
        case .f16, .bf16, .i16: return 2
        case .i8, .u8, .bool, .f8e4m3, .f8e5m2: return 1
        }
    }

    /// True for the floating-point types.
    public var isFloatingPoint: Bool {
        switch self {
        case .f64, .f32, .f16, .bf16, .f8e4m3, .f8e5m2: return true
        default: return false
        }
    }

    /// The safetensors spelling, e.g. `BF16`.
    public var description: String { rawValue }

    /// Parses a safetensors dtype spelling; `nil` for anything unknown.
    public init?(safetensorsName: String) { self.init(rawValue: safetensorsName) }
}
