import MPTCore
import MPTQuant

/// The per-worker memory of the kernels that decode their `B` operand as they stream it
/// (`MatrixMultiply.multiplyTransposed(…, b: StoredMatrix, …)`): one panel of decoded `B` rows
/// per chunk slot of `forEachIndexedChunk`, plus each slot's first non-finite finding.
/// Allocated once per forward run (sized for the model's widest product), never per tensor.
public final class DecodeScratch: @unchecked Sendable {
    /// Chunk slots (`chunkSlots(threads:chunksPerWorker:)` of the kernels).
    public let slots: Int
    /// Floats per slot panel.
    public let capacity: Int
    let panels: UnsafeMutablePointer<Float>
    /// Per slot: row-major index of the first non-finite decoded weight seen (`Int.max`: none).
    let badIndex: UnsafeMutablePointer<Int>
    let badValue: UnsafeMutablePointer<Float>

    /// Chunks per worker the decoding kernels cut (as the plain kernels do).
    static let chunksPerWorker = 4

    /// Scratch for products of reduction depth up to `depth` on up to `threads` workers.
    public convenience init(depth: Int, threads: Int) {
        self.init(floats: max(KernelLevel.kernels.columnGroup * MatrixMultiply.reductionBlock, depth),
                  slots: chunkSlots(threads: threads, chunksPerWorker: Self.chunksPerWorker))
    }

    /// `slots` panels of `floats` each.
    init(floats: Int, slots: Int) {
        self.slots = max(1, slots)
        capacity = max(1, floats)
        let slots = self.slots, capacity = self.capacity
        panels = UnsafeMutablePointer<Float>.allocate(capacity: slots * capacity)
        panels.initialize(repeating: 0, count: slots * capacity)
        badIndex = UnsafeMutablePointer<Int>.allocate(capacity: slots)
        badIndex.initialize(repeating: .max, count: slots)
        badValue = UnsafeMutablePointer<Float>.allocate(capacity: slots)
        badValue.initialize(repeating: 0, count: slots)
    }

    deinit {
        panels.deallocate()
        badIndex.deallocate()
        badValue.deallocate()
    }

    /// True when a product needing `floats` per slot and up to `chunks` slots fits.
    func fits(floats: Int, chunks: Int) -> Bool { floats <= capacity && chunks <= slots }

    /// The panel of `slot`.
    func panel(_ slot: Int) -> UnsafeMutablePointer<Float> { panels + slot * capacity }

    /// Clears the findings before a product.
    func resetFindings() { badIndex.update(repeating: .max, count: slots) }

    /// Checks `count` decoded floats at `values`, the weights at row-major `firstIndex…`, and
    /// keeps the earliest non-finite one for `slot`.
    @inline(__always)
    func check(_ values: UnsafePointer<Float>, count: Int, firstIndex: Int, slot: Int) {
        guard let position = NonFiniteScan.first(in: values, count: count) else { return }
        let index = firstIndex + position
        if index < badIndex[slot] {
            badIndex[slot] = index
            badValue[slot] = values[position]
        }
    }

    /// The earliest finding over all slots.
    func firstFinding() -> (index: Int, value: Float)? {
        var best: (index: Int, value: Float)?
        for slot in 0..<slots where badIndex[slot] != .max && badIndex[slot] < (best?.index ?? .max) {
            best = (badIndex[slot], badValue[slot])
        }
        return best
    }
}
