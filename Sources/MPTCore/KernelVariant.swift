/// Which twin of a kernel runs: the plain scalar loop (the reference the tests compare
/// against) or the SIMD path. The one way every kernel in MPTKit is switched.
public enum KernelVariant: String, Sendable, CaseIterable {
    /// The plain loop, one element at a time.
    case scalar
    /// The vectorized path.
    case simd
}
