/// Reproduces, bit for bit, how PyTorch's CPU kernel sums a contiguous float32 vector
/// (`cascade_sum` in ATen's SumKernel.cpp), so that `mean()` of NF4 absmax values — the
/// double-quantization `offset` — matches bitsandbytes exactly.
///
/// The result depends on the SIMD width torch was built for at runtime (8 lanes on AVX2, 16 on
/// AVX-512) and, for 32768 or more values, on torch's thread count (the sum is split into one
/// chunk per thread and the partial sums added in order).
public struct TorchFloatSum: Sendable, Hashable {
    /// Floats per `Vectorized<float>`: 8 for AVX2 hosts, 16 for AVX-512.
    public var laneCount: Int
    /// `torch.get_num_threads()` of the run to match.
    public var threadCount: Int

    /// A model of torch on a given host.
    public init(laneCount: Int = 8, threadCount: Int = 2) {
        self.laneCount = max(1, laneCount)
        self.threadCount = max(1, threadCount)
    }

    /// torch's grain size below which reductions run on one thread.
    static let grainSize = 32768

    /// `torch.sum(values)` in float32.
    public func sum(_ values: UnsafeBufferPointer<Float>) -> Float {
        let count = values.count
        if count < Self.grainSize || threadCount == 1 { return cascade(values) }
        let tasks = min(threadCount, (count + Self.grainSize - 1) / Self.grainSize)
        let chunk = (count + tasks - 1) / tasks
        var total: Float = 0
        var start = 0
        while start < count {
            let end = min(count, start + chunk)
            total += cascade(UnsafeBufferPointer(rebasing: values[start..<end]))
            start = end
        }
        return total
    }

    /// `torch.mean(values)` in float32 (the sum divided by the count).
    public func mean(_ values: UnsafeBufferPointer<Float>) -> Float {
        sum(values) / Float(values.count)
    }

    /// One thread's `vectorized_inner_sum`: 4 interleaved vector accumulators summed with a
    /// 4-level cascade, then the scalar tail, then the lanes in order.
    func cascade(_ values: UnsafeBufferPointer<Float>) -> Float {
        let lanes = laneCount
        let vectorCount = values.count / lanes
        let rows = 4
        let groups = vectorCount / rows
        // accumulators[level][row][lane], flattened.
        let levels = 4
        var accumulators = [Float](repeating: 0, count: levels * rows * lanes)
        let levelStride = rows * lanes
        let levelPower = max(4, ceilLog2(groups) / levels)
        let levelStep = 1 << levelPower
        let levelMask = levelStep - 1
        accumulators.withUnsafeMutableBufferPointer { acc in
            func addGroup(_ group: Int) {
                let base = group * levelStride
                for slot in 0..<levelStride { acc[slot] += values[base + slot] }
            }
            var group = 0
            while group + levelStep <= groups {
                for _ in 0..<levelStep {
                    addGroup(group)
                    group += 1
                }
                for level in 1..<levels {
                    for slot in 0..<levelStride {
                        acc[level * levelStride + slot] += acc[(level - 1) * levelStride + slot]
                        acc[(level - 1) * levelStride + slot] = 0
                    }
                    if group & (levelMask << (level * levelPower)) != 0 { break }
                }
            }
            while group < groups {
                addGroup(group)
                group += 1
            }
            for level in 1..<levels {
                for slot in 0..<levelStride { acc[slot] += acc[level * levelStride + slot] }
            }
            // Leftover whole vectors go into row 0, then rows 1...3 fold into row 0.
            for vector in (groups * rows)..<vectorCount {
                for lane in 0..<lanes { acc[lane] += values[vector * lanes + lane] }
            }
            for row in 1..<rows {
                for lane in 0..<lanes { acc[lane] += acc[row * lanes + lane] }
            }
        }
        var result: Float = 0
        for index in (vectorCount * lanes)..<values.count { result += values[index] }
        for lane in 0..<lanes { result += accumulators[lane] }
        return result
    }

    private func ceilLog2(_ value: Int) -> Int {
        if value <= 1 { return 0 }
        return Int.bitWidth - (value - 1).leadingZeroBitCount
    }
}
