import Foundation
import MPTCore
import MPTFormats

/// Breaks converted outputs byte by byte, the way issue 16 lists (and
/// Fixtures/scripts/verdict_calibration.py does for the measurements): NF4 block scales scaled,
/// NF4 nibbles flipped, GGUF Q8_0/Q4_0 block scales scaled, two same-shaped tensors swapped, every
/// tensor re-initialized. Test-only; a file that is not as expected throws.
enum CandidateCorruption {
    struct Failure: Error, CustomStringConvertible { let description: String }

    /// One safetensors tensor: dtype, shape and its absolute byte range in the file.
    struct Entry { let dtype: String; let shape: [Int]; let range: Range<Int> }

    /// The tensors of a safetensors file, by name.
    static func safetensorsTensors(_ bytes: [UInt8]) throws -> [String: Entry] {
        guard bytes.count >= 8 else { throw Failure(description: "short safetensors file") }
        let length = bytes[0..<8].enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
        guard length > 0, 8 + length <= bytes.count,
              let text = String(bytes: bytes[8..<(8 + length)], encoding: .utf8),
              let members = try JSONParser.parse(text).objectMembers else {
            throw Failure(description: "bad safetensors header")
        }
        var out: [String: Entry] = [:]
        for (name, value) in members where name != "__metadata__" {
            guard let dtype = value["dtype"]?.stringValue,
                  let shape = value["shape"]?.arrayValue?.compactMap(\.intValue),
                  let offsets = value["data_offsets"]?.arrayValue?.compactMap(\.intValue), offsets.count == 2,
                  offsets[0] <= offsets[1], 8 + length + offsets[1] <= bytes.count else {
                throw Failure(description: "bad entry \(name)")
            }
            out[name] = Entry(dtype: dtype, shape: shape, range: (8 + length + offsets[0])..<(8 + length + offsets[1]))
        }
        return out
    }

    /// Copies the model directory `source` to `destination` and edits its model.safetensors.
    static func editSafetensors(_ source: String, to destination: String,
                                _ edit: (inout [UInt8], [String: Entry]) throws -> Void) throws {
        try FileManager.default.copyItem(atPath: source, toPath: destination)
        let path = destination + "/model.safetensors"
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        try edit(&bytes, try safetensorsTensors(bytes))
        try Data(bytes).write(to: URL(fileURLWithPath: path))
    }

    static func float(_ bytes: [UInt8], _ at: Int) -> Float {
        Float(bitPattern: UInt32(bytes[at]) | UInt32(bytes[at + 1]) << 8 | UInt32(bytes[at + 2]) << 16 | UInt32(bytes[at + 3]) << 24)
    }

    static func setFloat(_ bytes: inout [UInt8], _ at: Int, _ value: Float) {
        let bits = value.bitPattern
        for k in 0..<4 { bytes[at + k] = UInt8(truncatingIfNeeded: bits >> (8 * k)) }
    }

    static func half(_ bytes: [UInt8], _ at: Int) -> Float {
        Float(Float16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8))
    }

    static func setHalf(_ bytes: inout [UInt8], _ at: Int, _ value: Float) {
        let bits = Float16(value).bitPattern
        bytes[at] = UInt8(truncatingIfNeeded: bits)
        bytes[at + 1] = UInt8(truncatingIfNeeded: bits >> 8)
    }

    /// Every NF4 block scale (`….weight.absmax`, float32: a conversion without double quant) × `factor`.
    static func scaleNF4(_ factor: Float) -> (inout [UInt8], [String: Entry]) throws -> Void {
        { bytes, tensors in
            let scales = tensors.filter { $0.key.hasSuffix(".weight.absmax") }
            guard !scales.isEmpty else { throw Failure(description: "no NF4 absmax") }
            for (name, entry) in scales {
                guard entry.dtype == "F32" else { throw Failure(description: "\(name) is \(entry.dtype): convert with --no-double-quant") }
                for at in stride(from: entry.range.lowerBound, to: entry.range.upperBound, by: 4) {
                    setFloat(&bytes, at, float(bytes, at) * factor)
                }
            }
        }
    }

    /// A deterministic `fraction` of the NF4 weight nibbles inverted (code k → 15 − k).
    static func flipNibbles(_ fraction: Double, seed: UInt64 = 1) -> (inout [UInt8], [String: Entry]) throws -> Void {
        { bytes, tensors in
            var state = seed
            func draw() -> Double {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                return Double(state >> 11) / Double(1 << 53)
            }
            let packed = tensors.filter { $0.value.dtype == "U8" && tensors[$0.key + ".absmax"] != nil }
            guard !packed.isEmpty else { throw Failure(description: "no NF4 weights") }
            for name in packed.keys.sorted() {
                guard let entry = packed[name] else { continue }
                for at in entry.range {
                    if draw() < fraction { bytes[at] ^= 0xF0 }
                    if draw() < fraction { bytes[at] ^= 0x0F }
                }
            }
        }
    }

    /// The bytes of two same-shaped, same-dtype tensors exchanged.
    static func swap(_ first: String, _ second: String) -> (inout [UInt8], [String: Entry]) throws -> Void {
        { bytes, tensors in
            guard let a = tensors[first], let b = tensors[second], a.shape == b.shape, a.dtype == b.dtype else {
                throw Failure(description: "\(first) and \(second) are not a same-shaped pair")
            }
            let saved = Array(bytes[a.range])
            bytes.replaceSubrange(a.range, with: bytes[b.range])
            bytes.replaceSubrange(b.range, with: saved)
        }
    }

    /// Every (F16) tensor replaced by deterministic uniform noise of the same mean and standard
    /// deviation: a model of the same shape and vocabulary that learned nothing of the reference.
    static func reinitialize(seed: UInt64 = 7) -> (inout [UInt8], [String: Entry]) throws -> Void {
        { bytes, tensors in
            var state = seed
            for name in tensors.keys.sorted() {
                guard let entry = tensors[name], entry.dtype == "F16" else { throw Failure(description: "\(name) is not F16") }
                let count = entry.range.count / 2
                var sum = 0.0, sum2 = 0.0
                for k in 0..<count {
                    let v = Double(half(bytes, entry.range.lowerBound + 2 * k))
                    sum += v; sum2 += v * v
                }
                let mean = sum / Double(max(count, 1))
                let std = max(sum2 / Double(max(count, 1)) - mean * mean, 0).squareRoot()
                for k in 0..<count {
                    state = state &* 6364136223846793005 &+ 1442695040888963407
                    let u = Double(state >> 11) / Double(1 << 53) * 2 - 1
                    setHalf(&bytes, entry.range.lowerBound + 2 * k, Float(mean + u * std * 3.0.squareRoot()))
                }
            }
        }
    }

    /// A copy of the GGUF file with every Q8_0 and Q4_0 block scale (the block's leading f16) × `factor`.
    static func scaleGGUFBlocks(_ source: String, to destination: String, factor: Float) throws {
        let file = try GGUFFile.read(path: source)
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: source)))
        var scaled = 0
        for tensor in file.tensors where tensor.type == .q8_0 || tensor.type == .q4_0 {
            let start = file.dataStart + tensor.offset
            guard start + tensor.byteCount <= bytes.count else { throw Failure(description: "\(tensor.name) past the end") }
            for at in stride(from: start, to: start + tensor.byteCount, by: tensor.type.typeSize) {
                setHalf(&bytes, at, half(bytes, at) * factor)
                scaled += 1
            }
        }
        guard scaled > 0 else { throw Failure(description: "no Q8_0/Q4_0 blocks in \(source)") }
        try Data(bytes).write(to: URL(fileURLWithPath: destination))
    }

    /// The broken candidates of issue 16, each made from an honest conversion.
    enum Broken: String, CaseIterable, Sendable {
        case nf4ScalesUp, nf4ScalesDown, nf4Nibbles, q8ScalesOff, q4ScalesOff, swappedTensor, unrelatedModel

        /// Converts honestly into `directory` (`convert(arguments, output)`), breaks the result and
        /// returns the broken candidate's path.
        func make(in directory: String, convert: ([String], String) throws -> Void) throws -> String {
            typealias C = CandidateCorruption
            let source = directory + "/source", candidate = directory + "/broken-\(rawValue)"
            switch self {
            case .nf4ScalesUp, .nf4ScalesDown, .nf4Nibbles:
                try convert(["--quant", "nf4", "--no-double-quant"], source)
                let edit = self == .nf4ScalesUp ? C.scaleNF4(1.25) : self == .nf4ScalesDown ? C.scaleNF4(0.8) : C.flipNibbles(0.05)
                try C.editSafetensors(source, to: candidate, edit)
                return candidate
            case .q8ScalesOff, .q4ScalesOff:
                try convert(["--quant", self == .q8ScalesOff ? "q8_0" : "q4_0"], source + ".gguf")
                try C.scaleGGUFBlocks(source + ".gguf", to: candidate + ".gguf", factor: 1.1)
                return candidate + ".gguf"
            case .swappedTensor, .unrelatedModel:
                try convert(["--dtype", "f16"], source)
                let edit = self == .unrelatedModel ? C.reinitialize()
                    : C.swap("transformer.blocks.0.ffn.up_proj.weight", "transformer.blocks.1.ffn.up_proj.weight")
                try C.editSafetensors(source, to: candidate, edit)
                return candidate
            }
        }
    }
}
