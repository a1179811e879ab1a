#if canImport(Glibc)
import Glibc
#endif

/// Process-wide allocator settings for the conversion tools.
public enum AllocatorTuning {
    /// Makes glibc serve buffers up to `bytes` from its heap and keep freed memory there, so the
    /// multi-megabyte arrays each weight needs (decoded floats, rounded copies, quantized
    /// components) reuse the previous weight's pages. By default glibc maps every buffer above
    /// 32 MB afresh and unmaps it on free, and the kernel then zero-fills each page on first touch:
    /// for MPT-1b to NF4 that was 2.2 million page faults and most of the run time. Peak memory is
    /// unchanged in kind (freed buffers are reused, not accumulated). Returns true when glibc
    /// accepted both settings; elsewhere it does nothing.
    @discardableResult
    public static func reuseLargeBuffers(upTo bytes: Int32 = 1 << 30) -> Bool {
        #if canImport(Glibc)
        // `mallopt` lives in <malloc.h>, which the Glibc module does not import: look it up.
        guard let symbol = dlsym(nil, "mallopt") else { return false }
        let mallopt = unsafeBitCast(symbol, to: (@convention(c) (Int32, Int32) -> Int32).self)
        let mapping = mallopt(mmapThresholdOption, bytes)
        let trimming = mallopt(trimThresholdOption, bytes)
        return mapping == 1 && trimming == 1
        #else
        return false
        #endif
    }

    /// `M_MMAP_THRESHOLD` and `M_TRIM_THRESHOLD` from glibc's <malloc.h>.
    private static let mmapThresholdOption: Int32 = -3
    private static let trimThresholdOption: Int32 = -1
}
