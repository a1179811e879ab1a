#include "mptkit_cpu_features.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#include <immintrin.h>

/// XCR0. Only this function is compiled for XSAVE; it is called only when cpuid reports OSXSAVE
/// (otherwise xgetbv itself faults).
__attribute__((target("xsave"))) static uint64_t read_xcr0(void) { return _xgetbv(0); }

static uint32_t bit(uint32_t reg, int index, uint32_t flag) { return (reg >> index) & 1u ? flag : 0u; }

uint32_t mptkit_cpu_features(void) {
    unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
    uint32_t features = 0;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    features |= bit(ecx, 20, MPTKIT_CPU_SSE42) | bit(ecx, 23, MPTKIT_CPU_POPCNT) | bit(ecx, 28, MPTKIT_CPU_AVX)
        | bit(ecx, 12, MPTKIT_CPU_FMA) | bit(ecx, 29, MPTKIT_CPU_F16C) | bit(ecx, 22, MPTKIT_CPU_MOVBE);
    const int osxsave = (ecx >> 27) & 1;
    if (osxsave) {
        const uint64_t xcr0 = read_xcr0();
        if ((xcr0 & 0x6) == 0x6) features |= MPTKIT_OS_YMM;
        if ((xcr0 & 0xE6) == 0xE6) features |= MPTKIT_OS_ZMM;
    }
    if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) {
        features |= bit(ebx, 3, MPTKIT_CPU_BMI1) | bit(ebx, 5, MPTKIT_CPU_AVX2) | bit(ebx, 8, MPTKIT_CPU_BMI2)
            | bit(ebx, 16, MPTKIT_CPU_AVX512F) | bit(ebx, 17, MPTKIT_CPU_AVX512DQ) | bit(ebx, 28, MPTKIT_CPU_AVX512CD)
            | bit(ebx, 30, MPTKIT_CPU_AVX512BW) | bit(ebx, 31, MPTKIT_CPU_AVX512VL);
    }
    if (__get_cpuid(0x80000001u, &eax, &ebx, &ecx, &edx)) features |= bit(ecx, 5, MPTKIT_CPU_LZCNT);
    return features;
}
#else
uint32_t mptkit_cpu_features(void) { return 0; }
#endif
