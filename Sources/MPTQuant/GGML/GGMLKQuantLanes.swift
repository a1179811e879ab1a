/// Scratch space for the SIMD twins of Q2_K and Q3_K, which fit the 16 sub-blocks of a
/// super-block side by side: lane `s` is sub-block `s`, and row `i` of `x` holds element `i` of
/// every sub-block (`x[16·i + s] = values[16·s + i]`), so each per-element step of the scalar
/// fit becomes one loop over 16 contiguous lanes that LLVM vectorizes.
struct GGMLKQuantLanes {
    /// The block transposed: 16 rows of 16 lanes.
    let x: UnsafeMutablePointer<Float>
    /// Per-element weights, transposed like `x`.
    let weights: UnsafeMutablePointer<Float>
    /// Per-lane running values: 15 rows of 16 lanes, laid out by each fit.
    let state: UnsafeMutablePointer<Float>
    /// Per-lane results (two rows of 16).
    let result: UnsafeMutablePointer<Float>
    /// Quants, transposed like `x`.
    let quants: UnsafeMutablePointer<UInt8>
    /// Candidate quants of the current step, transposed like `x`.
    let scratch: UnsafeMutablePointer<UInt8>
    /// Quants in block order (`untransposeQuants`).
    let natural: UnsafeMutablePointer<UInt8>
    /// Per-lane byte masks (two rows of 16).
    let mask: UnsafeMutablePointer<UInt8>
    /// Per-lane integer state (two rows of 16), for Q3_K's current quants and change flags.
    let ints: UnsafeMutablePointer<Int32>

    static let stateRows = 15

    /// Runs `body` with fresh stack scratch space.
    @inline(__always)
    static func with(_ body: (GGMLKQuantLanes) -> Void) {
        withUnsafeTemporaryAllocation(of: Float.self, capacity: 256 * 2 + 16 * stateRows + 32) { floats in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 256 * 3 + 32) { bytes in
                withUnsafeTemporaryAllocation(of: Int32.self, capacity: 256 + 32) { ints in
                    guard let f = floats.baseAddress, let b = bytes.baseAddress, let i = ints.baseAddress else { return }
                    body(GGMLKQuantLanes(
                        x: f, weights: f + 256, state: f + 512, result: f + 512 + 16 * stateRows,
                        quants: b, scratch: b + 256, natural: b + 512, mask: b + 768, ints: i))
                }
            }
        }
    }

    /// Fills `x` from a block of 256 values.
    @inline(__always)
    func transpose(_ values: UnsafePointer<Float>) {
        for row in 0..<16 {
            for lane in 0..<16 { x[16 &* row &+ lane] = values[16 &* lane &+ row] }
        }
    }

    /// Copies `quants` into `natural` in block order.
    @inline(__always)
    func untransposeQuants() {
        for sub in 0..<16 {
            for index in 0..<16 { natural[16 &* sub &+ index] = quants[16 &* index &+ sub] }
        }
    }
}
