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
        let ilp = 4
        let groups = vectorCount / ilp
        var partial = multiRowSum(values, groups: groups)
        for vector in (groups * ilp)..<vectorCount {
            for lane in 0..<lanes { partial[0][lane] += values[vector * lanes + lane] }
        }
        for row in 1..<ilp {
            for lane in 0..<lanes { partial[0][lane] += partial[row][lane] }
        }
        var result: Float = 0
        for index in (vectorCount * lanes)..<values.count { result += values[index] }
        for lane in 0..<lanes { result += partial[0][lane] }
        return result
    }

    /// `multi_row_sum` with 4 rows of one vector each: level 0 takes `2^levelPower` groups at a
    /// time, and carries ripple upward like a counter.
    private func multiRowSum(_ values: UnsafeBufferPointer<Float>, groups: Int) -> [[Float]] {
        let lanes = laneCount
        let rows = 4
        let levels = 4
        let levelPower = max(4, ceilLog2(groups) / levels)
        let levelStep = 1 << levelPower
        let levelMask = levelStep - 1
        var accumulators = [[[Float]]](
            repeating: [[Float]](repeating: [Float](repeating: 0, count: lanes), count: rows), count: levels)
        var group = 0
        func addGroup(_ group: Int) {
            let base = group * rows * lanes
            for row in 0..<rows {
                for lane in 0..<lanes { accumulators[0][row][lane] += values[base + row * lanes + lane] }
            }
        }
        while group + levelStep <= groups {
            for _ in 0..<levelStep {
                addGroup(group)
                group += 1
            }
            for level in 1..<levels {
                for row in 0..<rows {
                    for lane in 0..<lanes {
                        accumulators[level][row][lane] += accumulators[level - 1][row][lane]
                        accumulators[level - 1][row][lane] = 0
                    }
                }
                if group & (levelMask << (level * levelPower)) != 0 { break }
            }
        }
        while group < groups {
            addGroup(group)
            group += 1
        }
        for level in 1..<levels {
            for row in 0..<rows {
                for lane in 0..<lanes { accumulators[0][row][lane] += accumulators[level][row][lane] }
            }
        }
        return accumulators[0]
    }

    private func ceilLog2(_ value: Int) -> Int {
        if value <= 1 { return 0 }
        return Int.bitWidth - (value - 1).leadingZeroBitCount
    }
}
