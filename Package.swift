// swift-tools-version: 6.0
import PackageDescription

import Foundation

/// Release builds target Haswell (AVX2, FMA, F16C) so SIMD FMA and f16 conversion compile to
/// instructions instead of library calls, and define `MPTKIT_FMA` so kernels use fused
/// multiply-add. Debug builds (and `MPTKIT_PORTABLE=1` release builds) stay portable x86-64;
/// every kernel has a portable path, exercised by the test suite.
let portable = ProcessInfo.processInfo.environment["MPTKIT_PORTABLE"] == "1"
let kernelSettings: [SwiftSetting] = portable ? [] : [
    .unsafeFlags(["-target-cpu", "haswell"], .when(platforms: [.linux], configuration: .release)),
    .define("MPTKIT_FMA", .when(platforms: [.linux], configuration: .release)),
]

let package = Package(
    name: "MPTKit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mpt-convert", targets: ["mpt-convert"]),
        .executable(name: "mpt-verify", targets: ["mpt-verify"]),
        .executable(name: "mpt-inspect", targets: ["mpt-inspect"]),
        .executable(name: "mpt-tokenize", targets: ["mpt-tokenize"]),
        .executable(name: "mpt-generate", targets: ["mpt-generate"]),
        .library(name: "MPTKit", targets: ["MPTCore", "MPTFormats", "MPTTokenizer", "MPTGraph", "MPTQuant", "MPTReference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Raw pointers: MPTCore owns them (mmap'd storage, byte cursor, SendablePointer, the
        // parallel helpers); MPTFormats may read mapped bytes through ByteStorage; MPTQuant and
        // MPTReference use them only inside kernels, behind checked sizes. Nothing above uses them.
        // Layer 1: bytes, dtypes, shapes, mmap, the one parallel toolkit, KernelVariant.
        .target(name: "MPTCore", swiftSettings: kernelSettings),
        // zlib for deflated zip entries.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Layer 2: on-disk formats, no MPT knowledge.
        .target(name: "MPTFormats", dependencies: ["MPTCore", "CZlib"]),
        // Layer 3: byte-level BPE tokenizer and the one reader of tokenizer.json.
        .target(name: "MPTTokenizer", dependencies: ["MPTCore", "MPTFormats"]),
        // Layer 4: MPT config + canonical names + shape validation.
        .target(name: "MPTGraph", dependencies: ["MPTCore", "MPTFormats"]),
        // Layer 5: quantizers.
        .target(name: "MPTQuant", dependencies: ["MPTCore", "MPTFormats", "MPTTokenizer", "MPTGraph"], swiftSettings: kernelSettings),
        // Layer 6: forward pass + parity metrics.
        .target(name: "MPTReference", dependencies: ["MPTCore", "MPTFormats", "MPTGraph", "MPTQuant"], swiftSettings: kernelSettings),
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
        // Test helper (not a product): runs one tool from a small address space and reports its
        // exact peak memory (`ru_maxrss` from `wait4`); see Tests/ChildLauncher/main.swift.
        .executableTarget(name: "mpt-test-child", path: "Tests/ChildLauncher"),
        .testTarget(name: "MPTKitTests", dependencies: [
            "MPTCore", "MPTFormats", "MPTTokenizer", "MPTGraph", "MPTQuant", "MPTReference", "MPTCLI",
        ]),
    ]
)
