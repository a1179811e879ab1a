// swift-tools-version: 6.0
import PackageDescription

/// CPU flags: only the kernel copies get them. `MPTKernelsPortable` holds the hot loops (matrix
/// tile, dot products, stored-format row decoders) written once; `MPTKernelsAVX2` and
/// `MPTKernelsAVX512` are the same files (symlinks) compiled for Haswell (AVX2, FMA, F16C) and
/// Skylake-AVX512, with `MPTKIT_FMA` for fused multiply-add (and `MPTKIT_AVX512` for 16-lane
/// vectors). Every other target, in every configuration, is portable x86-64, so one release
/// binary runs on any x86-64: `MPTCore.KernelLevel` picks the copy the CPU and OS can execute
/// at run time (cpuid + XCR0), `MPTKIT_KERNELS=portable|avx2|avx512` forces one. The flags are
/// applied in debug builds too, so the tests can run every level the machine supports. On a
/// non-x86 host the three copies are built alike for the host's CPU and only the portable one
/// is ever selected. (`MPTKIT_PORTABLE=1` is gone: every release build is portable.)
/// Each copy is optimized (`-O`) in debug builds too: unoptimized code leaves stdlib generics out
/// of line as link-once symbols shared between the copies (see Sources/MPTKernelsPortable/Vector.swift).
let optimized: SwiftSetting = .unsafeFlags(["-O"], .when(configuration: .debug))
#if arch(x86_64)
let portableFlags: [SwiftSetting] = [optimized]
let avx2Flags: [SwiftSetting] = [optimized, .unsafeFlags(["-target-cpu", "haswell"]), .define("MPTKIT_FMA")]
let avx512Flags: [SwiftSetting] = [
    optimized, .unsafeFlags(["-target-cpu", "skylake-avx512"]), .define("MPTKIT_FMA"), .define("MPTKIT_AVX512"),
]
#else
let portableFlags: [SwiftSetting] = [optimized]
let avx2Flags: [SwiftSetting] = [optimized]
let avx512Flags: [SwiftSetting] = [optimized]
#endif

let package = Package(
    name: "MPTKit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mpt-convert", targets: ["mpt-convert"]),
        .executable(name: "mpt-verify", targets: ["mpt-verify"]),
        .executable(name: "mpt-inspect", targets: ["mpt-inspect"]),
        .executable(name: "mpt-tokenize", targets: ["mpt-tokenize"]),
        .executable(name: "mpt-generate", targets: ["mpt-generate"]),
        .executable(name: "mpt-imatrix", targets: ["mpt-imatrix"]),
        .library(name: "MPTKit", targets: ["MPTCore", "MPTFormats", "MPTTokenizer", "MPTGraph", "MPTQuant", "MPTReference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Raw pointers: MPTCore owns them (mmap'd storage, byte cursor, SendablePointer, the
        // parallel helpers); MPTFormats may read mapped bytes through ByteStorage; MPTQuant and
        // MPTReference use them only inside kernels, behind checked sizes. Nothing above uses them.
        // Layer 0: the SIMD kernels, raw pointers only, no MPTKit types. The protocol every copy
        // conforms to, the copies (one source, three CPU levels), and cpuid/xgetbv in C.
        .target(name: "MPTKernelInterface"),
        .target(name: "MPTKernelsPortable", dependencies: ["MPTKernelInterface"], swiftSettings: portableFlags),
        .target(name: "MPTKernelsAVX2", dependencies: ["MPTKernelInterface"], swiftSettings: avx2Flags),
        .target(name: "MPTKernelsAVX512", dependencies: ["MPTKernelInterface"], swiftSettings: avx512Flags),
        .target(name: "CMPTCPUFeatures"),
        // Layer 1: bytes, dtypes, shapes, mmap, the one parallel toolkit, KernelVariant, and the
        // run-time choice of kernel copy (KernelLevel).
        .target(name: "MPTCore", dependencies: [
            "CMPTCPUFeatures", "MPTKernelInterface", "MPTKernelsPortable", "MPTKernelsAVX2", "MPTKernelsAVX512",
        ]),
        // zlib for deflated zip entries.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Layer 2: on-disk formats, no MPT knowledge.
        .target(name: "MPTFormats", dependencies: ["MPTCore", "CZlib"]),
        // Layer 3: byte-level BPE tokenizer and the one reader of tokenizer.json.
        .target(name: "MPTTokenizer", dependencies: ["MPTCore", "MPTFormats"]),
        // Layer 4: MPT config + canonical names + shape validation.
        .target(name: "MPTGraph", dependencies: ["MPTCore", "MPTFormats"]),
        // Layer 5: quantizers.
        .target(name: "MPTQuant", dependencies: ["MPTCore", "MPTFormats", "MPTTokenizer", "MPTGraph", "MPTKernelInterface"]),
        // Layer 6: forward pass + parity metrics.
        .target(name: "MPTReference", dependencies: ["MPTCore", "MPTFormats", "MPTGraph", "MPTQuant", "MPTKernelInterface"]),
        // Shared CLI plumbing (argument groups, error reporting, exit codes).
        .target(name: "MPTCLI", dependencies: [
            "MPTCore", "MPTFormats", "MPTTokenizer", "MPTGraph", "MPTQuant", "MPTReference",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "mpt-inspect", dependencies: ["MPTCLI"]),
        .executableTarget(name: "mpt-convert", dependencies: ["MPTCLI"]),
        .executableTarget(name: "mpt-verify", dependencies: ["MPTCLI"]),
        .executableTarget(name: "mpt-tokenize", dependencies: ["MPTCLI"]),
        .executableTarget(name: "mpt-generate", dependencies: ["MPTCLI"]),
        .executableTarget(name: "mpt-imatrix", dependencies: ["MPTCLI"]),
        // Test helper (not a product): runs one tool from a small address space and reports its
        // exact peak memory (`ru_maxrss` from `wait4`); see Tests/ChildLauncher/main.swift.
        .executableTarget(name: "mpt-test-child", path: "Tests/ChildLauncher"),
        .testTarget(name: "MPTKitTests", dependencies: [
            "MPTCore", "MPTFormats", "MPTTokenizer", "MPTGraph", "MPTQuant", "MPTReference", "MPTCLI",
            "MPTKernelInterface",
        ]),
    ]
)
