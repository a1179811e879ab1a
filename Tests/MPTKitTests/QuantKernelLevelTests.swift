import MPTCore
import Testing
@testable import MPTQuant

/// The K-quant scale searches of every kernel level this machine runs (`KernelLevel.quantKernels`)
/// against their scalar twins, group by group: scales bit for bit, levels equal. Blocks span
/// scales 1e-20…1e20 (subnormal ranges included), ties, zero groups, outliers, three-valued and
/// mostly positive data. (The block and whole-file goldens check the encoders at the active
/// level; `MPTKIT_KERNELS=portable` runs them at the other.)
/// `count` super-blocks of 256 values for the K-quant twins' comparisons: scales 2⁻⁶⁷…2⁶⁶ by
/// block, in seven shapes (plain noise, ties, zero sub-blocks, one outlier, three values,
/// subnormal sub-blocks, mostly positive).
func kQuantTestBlocks(_ count: Int, seed: UInt64) -> [Float] {
    var generator = SplitMix64(seed: seed)
    var values = [Float](repeating: 0, count: count * 256)
    for block in 0..<count {
        let scale = Float(sign: .plus, exponent: (block * 7) % 134 - 67, significand: 1)
        for index in 0..<256 {
            let u = Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1
            let value: Float
            switch block % 7 {
            case 0: value = u * scale
            case 1: value = Float(Int(u * 8)) / 2 * scale
            case 2: value = (index / 16) % 3 == 0 ? 0 : u * scale
            case 3: value = index == block % 256 ? 40 * scale : u * scale
            case 4: value = u < -0.5 ? -scale : (u > 0.5 ? scale : 0)
            case 5: value = (index / 16) % 2 == 0 ? 1e-41 * u : (u + 0.75) * scale   // subnormal groups
            default: value = (u + 0.75) * scale
            }
            values[block * 256 + index] = value
        }
    }
    return values
}

@Suite("Quant kernel levels")
struct QuantKernelLevelTests {
    /// Groups (of `block`) where `kernel` differs from the scalar twin `scalar` (scale, then
    /// levels, per group).
    static func differences(
        groups: Int, groupSize: Int, kernelScales: [Float], kernelLevels: [UInt8],
        scalar: (Int, UnsafeMutablePointer<UInt8>) -> Float
    ) -> [Int] {
        var wrong: [Int] = []
        var levels = [UInt8](repeating: 0, count: groupSize)
        for group in 0..<groups {
            let scale = levels.withUnsafeMutableBufferPointer { scalar(group, $0.baseAddress!) }
            if scale.bitPattern != kernelScales[group].bitPattern || Array(kernelLevels[(groupSize * group)..<(groupSize * (group + 1))]) != levels {
                wrong.append(group)
            }
        }
        return wrong
    }

    /// Q6_K's `make_qx_quants` (nmax 32, weights `x²`), the imatrix paths' (Q6_K nmax 32 and Q3_K
    /// nmax 4, given weights) and Q3_K's `make_q3_quants` (nmax 4) on 16 groups of 16.
    enum Symmetric: CaseIterable { case plain, weighted6, weighted3, refined }

    @Test(arguments: KernelLevel.supported(), Symmetric.allCases)
    func symmetricScalesEqualScalar(level: KernelLevel, kind: Symmetric) {
        let values = kQuantTestBlocks(42, seed: 61)
        let weights = noise(values.count, seed: 65).map { abs($0) * 3 }
        let maxLevel: Int32 = kind == .weighted3 || kind == .refined ? 4 : 32
        values.withUnsafeBufferPointer { buffer in
            weights.withUnsafeBufferPointer { weightBuffer in
                for block in 0..<42 {
                    let x = buffer.baseAddress! + 256 * block, w = weightBuffer.baseAddress! + 256 * block
                    var scales = [Float](repeating: 0, count: 16), levels = [UInt8](repeating: 0, count: 256)
                    switch kind {
                    case .refined: level.quantKernels.refinedSymmetricScales(x, maxLevel: 4, scales: &scales, levels: &levels)
                    case .plain: level.quantKernels.symmetricScales(x, weights: nil, maxLevel: 32, scales: &scales, levels: &levels)
                    case .weighted6, .weighted3:
                        level.quantKernels.symmetricScales(x, weights: w, maxLevel: maxLevel, scales: &scales, levels: &levels)
                    }
                    let wrong = Self.differences(groups: 16, groupSize: 16, kernelScales: scales, kernelLevels: levels) { group, out in
                        out.withMemoryRebound(to: Int8.self, capacity: 16) {
                            kind == .refined
                                ? GGMLQ3_K.fitScalar(x + 16 * group, quants: $0)
                                : GGMLKQuantSearch.symmetricScale(
                                    x + 16 * group, count: 16, maxLevel: maxLevel, levels: $0, weights: kind == .plain ? nil : w + 16 * group)
                        }
                    }
                    #expect(wrong.isEmpty, "\(level) \(kind) block \(block): groups \(wrong)")
                }
            }
        }
    }

    /// Q2_K's form (16 groups of 16, |x| weights, `use_mad`), Q4_K's / Q5_K's (two blocks: 16
    /// groups of 32, weights `sqrt(Σx²/32) + |x|`) and the imatrix paths' `make_qkx3_quants`
    /// (Q2_K: 16 of 16, Q4_K: 16 of 32; −0.9, 0.05, 36 steps; the weights scaled by noise).
    @Test(arguments: KernelLevel.supported())
    func scaleMinScalesEqualScalar(level: KernelLevel) {
        let values = kQuantTestBlocks(42, seed: 63)
        let forms: [(groupSize: Int, maxLevel: Int32, rmin: Float, rdelta: Float, steps: Int, mad: Bool, qkx3: Bool)] = [
            (16, 3, -0.5, 0.1, 15, true, false), (32, 15, -1, 0.1, 20, false, false), (32, 31, -0.5, 0.1, 15, false, false),
            (16, 3, -0.9, 0.05, 36, false, true), (32, 15, -0.9, 0.05, 36, false, true),
        ]
        let importance = noise(values.count, seed: 66).map { abs($0) * 2 }
        for form in forms {
            var weights = stride(from: 0, to: values.count, by: form.groupSize).flatMap { start -> [Float] in
                let group = values[start..<(start + form.groupSize)]
                let average = (group.reduce(0) { $0 + $1 * $1 } / 32).squareRoot()
                return group.map { form.mad ? abs($0) : average + abs($0) }
            }
            if form.qkx3 { weights = zip(weights, importance).map { $0 * $1 } }
            values.withUnsafeBufferPointer { buffer in
                weights.withUnsafeBufferPointer { weightBuffer in
                    let span = 16 * form.groupSize
                    for first in stride(from: 0, to: values.count - span + 1, by: span) {
                        let x = buffer.baseAddress! + first, w = weightBuffer.baseAddress! + first
                        var scales = [Float](repeating: 0, count: 16), mins = scales, levels = [UInt8](repeating: 0, count: span)
                        level.quantKernels.scaleMinScales(
                            x, weights: w, groupSize: form.groupSize, maxLevel: form.maxLevel, rmin: form.rmin, rdelta: form.rdelta,
                            steps: form.steps, meanAbsolute: form.mad, flatWhenMaxNotAbove: form.qkx3, scales: &scales, negatedMins: &mins, levels: &levels)
                        var scalarMins = [Float](repeating: 0, count: 16)
                        var scratch = [UInt8](repeating: 0, count: 32)
                        let wrong = Self.differences(groups: 16, groupSize: form.groupSize, kernelScales: scales, kernelLevels: levels) { group, out in
                            let found = GGMLKQuantSearch.scaleMin(
                                x + form.groupSize * group, weights: w + form.groupSize * group, count: form.groupSize,
                                maxLevel: form.maxLevel, rmin: form.rmin, rdelta: form.rdelta, steps: form.steps, levels: out,
                                scratch: &scratch, variant: form.qkx3 ? .qkx3 : (form.mad ? .qkx2MAD : .qkx2))
                            scalarMins[group] = found.negatedMin
                            return found.scale
                        }
                        #expect(wrong.isEmpty, "\(level) \(form) values \(first): groups \(wrong)")
                        #expect(scalarMins.map(\.bitPattern) == mins.map(\.bitPattern), "\(level) \(form) values \(first): mins")
                    }
                }
            }
        }
    }

    /// The comparison bites: a search run on a block with one value changed is reported.
    @Test func changedValueIsReported() {
        var values = noise(256, seed: 64)
        var scales = [Float](repeating: 0, count: 16), levels = [UInt8](repeating: 0, count: 256)
        KernelLevel.quantKernels.symmetricScales(values, weights: nil, maxLevel: 32, scales: &scales, levels: &levels)
        values[16 * 5 + 3] *= 1.5
        let wrong = values.withUnsafeBufferPointer { buffer in
            Self.differences(groups: 16, groupSize: 16, kernelScales: scales, kernelLevels: levels) { group, out in
                out.withMemoryRebound(to: Int8.self, capacity: 16) {
                    GGMLKQuantSearch.symmetricScale(buffer.baseAddress! + 16 * group, count: 16, maxLevel: 32, levels: $0)
                }
            }
        }
        #expect(wrong == [5])
    }
}
