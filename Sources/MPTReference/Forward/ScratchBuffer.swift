/// A fixed-size heap buffer of activations, zero-initialized, freed on deinit. Workers only write
/// disjoint ranges of it.
final class ScratchBuffer<Element: BinaryFloatingPoint>: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Element>
    let count: Int

    init(count: Int) {
        self.count = count
        pointer = UnsafeMutablePointer<Element>.allocate(capacity: max(count, 1))
        pointer.initialize(repeating: 0, count: max(count, 1))
    }

    deinit { pointer.deallocate() }

    var readOnly: UnsafePointer<Element> { UnsafePointer(pointer) }

    var array: [Element] { Array(UnsafeBufferPointer(start: pointer, count: count)) }
}
