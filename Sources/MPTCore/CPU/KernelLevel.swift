import Foundation
import MPTKernelInterface
import MPTKernelsAVX2
import MPTKernelsAVX512
import MPTKernelsPortable

/// Which compiled copy of the SIMD kernels runs (`VectorKernels`): chosen once per process from
/// the CPU and OS it runs on (`CPUFeatures.current`), or forced with `MPTKIT_KERNELS`.
///
/// Each copy is a separate module compiled for its level (Package.swift): portable x86-64,
/// Haswell (`-target-cpu haswell`: AVX2, FMA, F16C, BMI1/2, LZCNT, MOVBE) and Skylake-AVX512.
/// A copy is only ever called where `isSupported` holds, so one binary never dies with SIGILL.
public enum KernelLevel: String, Sendable, CaseIterable, Comparable {
    /// Baseline x86-64 (SSE2) — or whatever the target machine is, off x86.
    case portable
    /// AVX2 + FMA (Haswell-class and later, AMD Zen).
    case avx2
    /// AVX-512 F/CD/BW/DQ/VL with the OS saving the ZMM state (Skylake-SP and later).
    case avx512

    /// The environment variable that forces a level: `portable`, `avx2` or `avx512`.
    public static let environmentVariable = "MPTKIT_KERNELS"

    /// The level this process uses: `MPTKIT_KERNELS` when it names a level this machine runs,
    /// else the best level it runs (`selected()` is the checked form that refuses a bad value).
    public static let active: KernelLevel = (try? selected()) ?? best(for: .current)

    /// The kernels of the active level.
    public static var kernels: any VectorKernels.Type { active.kernels }

    /// The kernels compiled for this level (callable only where `isSupported`).
    public var kernels: any VectorKernels.Type {
        switch self {
        case .portable: return MPTKernelsPortable.KernelSet.self
        case .avx2: return MPTKernelsAVX2.KernelSet.self
        case .avx512: return MPTKernelsAVX512.KernelSet.self
        }
    }

    /// The K-quant scale searches of the active level.
    public static var quantKernels: any QuantKernels.Type { active.quantKernels }

    /// The K-quant scale searches compiled for this level (the same copy as `kernels`).
    public var quantKernels: any QuantKernels.Type {
        switch self {
        case .portable: return MPTKernelsPortable.KernelSet.self
        case .avx2: return MPTKernelsAVX2.KernelSet.self
        case .avx512: return MPTKernelsAVX512.KernelSet.self
        }
    }

    /// What the level's copy was compiled to use: every one must be present to call it.
    public var requirements: CPUFeatures {
        #if arch(x86_64)
        let haswell: CPUFeatures = [.sse42, .popcnt, .avx, .avx2, .fma, .f16c, .bmi1, .bmi2, .lzcnt, .movbe, .osYMM]
        switch self {
        case .portable: return []
        case .avx2: return haswell
        case .avx512: return haswell.union([.avx512f, .avx512cd, .avx512bw, .avx512dq, .avx512vl, .osZMM])
        }
        #else
        return self == .portable ? [] : [.avx2]  // never present off x86: only the portable copy runs
        #endif
    }

    /// Whether a CPU with `features` runs this level's copy.
    public func isSupported(by features: CPUFeatures = .current) -> Bool {
        features.isSuperset(of: requirements)
    }

    /// The levels a CPU with `features` runs, lowest first.
    public static func supported(by features: CPUFeatures = .current) -> [KernelLevel] {
        allCases.filter { $0.isSupported(by: features) }
    }

    /// The fastest level a CPU with `features` runs.
    public static func best(for features: CPUFeatures) -> KernelLevel {
        supported(by: features).last ?? .portable
    }

    /// The level `environment[MPTKIT_KERNELS]` asks for (the best supported one when unset or
    /// empty); throws `KernelLevelError` for an unknown name or a level this CPU/OS lacks.
    public static func selected(
        environment: [String: String] = ProcessInfo.processInfo.environment, features: CPUFeatures = .current
    ) throws -> KernelLevel {
        guard let name = environment[environmentVariable], !name.isEmpty else { return best(for: features) }
        guard let level = KernelLevel(rawValue: name.lowercased()) else { throw KernelLevelError.unknown(name) }
        guard level.isSupported(by: features) else {
            throw KernelLevelError.unsupported(level, missing: level.requirements.subtracting(features))
        }
        return level
    }

    public static func < (lhs: KernelLevel, rhs: KernelLevel) -> Bool {
        allCases.firstIndex(of: lhs) ?? 0 < allCases.firstIndex(of: rhs) ?? 0
    }
}

/// A bad `MPTKIT_KERNELS` value.
public enum KernelLevelError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Not one of the level names.
    case unknown(String)
    /// A level whose instructions or register state this machine lacks.
    case unsupported(KernelLevel, missing: CPUFeatures)

    public var description: String {
        switch self {
        case let .unknown(name):
            return "\(KernelLevel.environmentVariable)=\(name) is not one of \(KernelLevel.allCases.map(\.rawValue).joined(separator: ", "))"
        case let .unsupported(level, missing):
            return "\(KernelLevel.environmentVariable)=\(level.rawValue) needs \(missing), which this CPU or OS does not provide"
        }
    }
}
