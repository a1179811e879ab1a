// swift-tools-version: 6.0
import PackageDescription

/// Release builds get AVX2/FMA/F16C only when `MPTKIT_NATIVE=1` is set at build time
/// (see README "Performance builds"); the default build stays portable x86-64.
let package = Package(
    name: "MPTKit",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "mpt-convert", targets: ["mpt-convert"]),
        .executable(name: "mpt-verify", targets: ["mpt-verify"]),
        .executable(name: "mpt-inspect", targets: ["mpt-inspect"]),
        .library(name: "MPTKit", targets: ["MPTCore", "MPTFormats", "MPTGraph", "MPTQuant", "MPTReference"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // Layer 1: bytes, dtypes, shapes, mmap. The only place with raw pointers.
        .target(name: "MPTCore"),
        // zlib for deflated zip entries.
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // Layer 2: on-disk formats, no MPT knowledge.
        .target(name: "MPTFormats", dependencies: ["MPTCore", "CZlib"]),
        // Layer 3: MPT config + canonical names + shape validation.
        .target(name: "MPTGraph", dependencies: ["MPTCore", "MPTFormats"]),
        // Layer 4: quantizers.
        .target(name: "MPTQuant", dependencies: ["MPTCore", "MPTFormats", "MPTGraph"]),
        // Layer 5: forward pass + parity metrics.
        .target(name: "MPTReference", dependencies: ["MPTCore", "MPTFormats", "MPTGraph", "MPTQuant"]),
        // Shared CLI plumbing (argument groups, error reporting, exit codes).
        .target(name: "MPTCLI", dependencies: [
            "MPTCore", "MPTFormats", "MPTGraph", "MPTQuant", "MPTReference",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .executableTarget(name: "mpt-inspect", dependencies: ["MPTCLI"]),
        .executableTarget(name: "mpt-convert", dependencies: ["MPTCLI"]),
        .executableTarget(name: "mpt-verify", dependencies: ["MPTCLI"]),
        .testTarget(name: "MPTKitTests", dependencies: [
            "MPTCore", "MPTFormats", "MPTGraph", "MPTQuant", "MPTReference", "MPTCLI",
        ]),
    ]
)
