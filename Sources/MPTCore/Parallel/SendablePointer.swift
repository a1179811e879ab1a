/// A raw pointer that may cross into the workers of `forEachChunk` / `mapChunks`.
///
/// The one pointer box of MPTKit. Kernels hand these only to workers that write disjoint
/// ranges (or only read), and the memory outlives every worker because the parallel helpers
/// return after all of them finish. Raw byte buffers travel as `SendablePointer<UInt8>`.
@frozen
public struct SendablePointer<Pointee>: @unchecked Sendable {
    /// The address; writable by the worker that owns the range it writes.
    public let base: UnsafeMutablePointer<Pointee>

    /// Wraps a writable pointer.
    @inlinable
    public init(_ base: UnsafeMutablePointer<Pointee>) { self.base = base }

    /// Wraps a read-only pointer (workers only read through `readOnly`).
    @inlinable
    public init(_ base: UnsafePointer<Pointee>) { self.base = UnsafeMutablePointer(mutating: base) }

    /// Read-only view.
    @inlinable
    public var readOnly: UnsafePointer<Pointee> { UnsafePointer(base) }

    /// `count` elements from `offset` as a writable buffer.
    @inlinable
    public func buffer(from offset: Int = 0, count: Int) -> UnsafeMutableBufferPointer<Pointee> {
        UnsafeMutableBufferPointer(start: base + offset, count: count)
    }

    /// `count` elements from `offset` as a read-only buffer.
    @inlinable
    public func readOnlyBuffer(from offset: Int = 0, count: Int) -> UnsafeBufferPointer<Pointee> {
        UnsafeBufferPointer(start: base + offset, count: count)
    }
}

extension SendablePointer where Pointee == UInt8 {
    /// Wraps a raw writable address as bytes.
    @inlinable
    public init(raw: UnsafeMutableRawPointer) { self.init(raw.assumingMemoryBound(to: UInt8.self)) }

    /// Wraps a raw read-only address as bytes.
    @inlinable
    public init(raw: UnsafeRawPointer) { self.init(raw.assumingMemoryBound(to: UInt8.self)) }

    /// The address as a raw pointer.
    @inlinable
    public var raw: UnsafeMutableRawPointer { UnsafeMutableRawPointer(base) }
}
