import CMPTCPUFeatures

/// What the running x86-64 CPU can execute: the instruction sets cpuid reports, and whether the
/// operating system saves the YMM / ZMM register state (XCR0, read with xgetbv). A feature in
/// cpuid without its OS state is unusable (some virtual machines report AVX-512 or AMX in cpuid
/// with the state disabled), so the kernel levels need both.
public struct CPUFeatures: OptionSet, Sendable, CustomStringConvertible {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let sse42 = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_SSE42))
    public static let popcnt = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_POPCNT))
    public static let avx = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_AVX))
    public static let avx2 = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_AVX2))
    public static let fma = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_FMA))
    public static let f16c = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_F16C))
    public static let bmi1 = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_BMI1))
    public static let bmi2 = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_BMI2))
    public static let lzcnt = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_LZCNT))
    public static let movbe = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_MOVBE))
    public static let avx512f = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_AVX512F))
    public static let avx512cd = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_AVX512CD))
    public static let avx512bw = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_AVX512BW))
    public static let avx512dq = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_AVX512DQ))
    public static let avx512vl = CPUFeatures(rawValue: UInt32(MPTKIT_CPU_AVX512VL))
    /// The OS saves the upper halves of the YMM registers.
    public static let osYMM = CPUFeatures(rawValue: UInt32(MPTKIT_OS_YMM))
    /// The OS saves the opmask and ZMM registers.
    public static let osZMM = CPUFeatures(rawValue: UInt32(MPTKIT_OS_ZMM))

    /// The CPU running this process (read once).
    public static let current = CPUFeatures(rawValue: mptkit_cpu_features())

    static let names: [(CPUFeatures, String)] = [
        (.sse42, "SSE4.2"), (.popcnt, "POPCNT"), (.avx, "AVX"), (.avx2, "AVX2"), (.fma, "FMA"), (.f16c, "F16C"),
        (.bmi1, "BMI1"), (.bmi2, "BMI2"), (.lzcnt, "LZCNT"), (.movbe, "MOVBE"), (.avx512f, "AVX512F"),
        (.avx512cd, "AVX512CD"), (.avx512bw, "AVX512BW"), (.avx512dq, "AVX512DQ"), (.avx512vl, "AVX512VL"),
        (.osYMM, "OS YMM state"), (.osZMM, "OS ZMM state"),
    ]

    /// The features' names, comma-separated ("none" when empty).
    public var description: String {
        let present = Self.names.filter { contains($0.0) }.map(\.1)
        return present.isEmpty ? "none" : present.joined(separator: ", ")
    }
}
