#ifndef MPTKIT_CPU_FEATURES_H
#define MPTKIT_CPU_FEATURES_H

#include <stdint.h>

/// Bits of `mptkit_cpu_features()`: instruction sets the CPU reports (cpuid) and register state
/// the operating system saves (XCR0, read with xgetbv only when cpuid says OSXSAVE).
enum {
    MPTKIT_CPU_SSE42 = 1u << 0,
    MPTKIT_CPU_POPCNT = 1u << 1,
    MPTKIT_CPU_AVX = 1u << 2,
    MPTKIT_CPU_AVX2 = 1u << 3,
    MPTKIT_CPU_FMA = 1u << 4,
    MPTKIT_CPU_F16C = 1u << 5,
    MPTKIT_CPU_BMI1 = 1u << 6,
    MPTKIT_CPU_BMI2 = 1u << 7,
    MPTKIT_CPU_LZCNT = 1u << 8,
    MPTKIT_CPU_MOVBE = 1u << 9,
    MPTKIT_CPU_AVX512F = 1u << 10,
    MPTKIT_CPU_AVX512CD = 1u << 11,
    MPTKIT_CPU_AVX512BW = 1u << 12,
    MPTKIT_CPU_AVX512DQ = 1u << 13,
    MPTKIT_CPU_AVX512VL = 1u << 14,
    /// XCR0 bits 1–2: the OS saves the SSE and upper-YMM state (AVX usable).
    MPTKIT_OS_YMM = 1u << 16,
    /// XCR0 bits 5–7: the OS saves the opmask and ZMM state (AVX-512 usable).
    MPTKIT_OS_ZMM = 1u << 17,
};

/// The feature bits of the CPU running this process (0 on non-x86 machines).
uint32_t mptkit_cpu_features(void);

#endif
