/// A raw pointer that may cross into `DispatchQueue.concurrentPerform` workers.
///
/// The kernels only hand these to workers that touch disjoint ranges (or only read), and they
/// outlive every worker because `concurrentPerform` returns after all iterations finish.
@usableFromInline
struct SendablePointer<Pointee>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<Pointee>

    @usableFromInline init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }

    @usableFromInline init(_ base: UnsafePointer<Pointee>) { self.base = UnsafeMutablePointer(mutating: base) }

    /// Read-only view.
    @usableFromInline var readOnly: UnsafePointer<Pointee> { UnsafePointer(base) }
}
