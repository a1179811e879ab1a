import MPTCore

/// llama.cpp's split GGUF files (`llama-gguf-split`, `model-00001-of-00003.gguf`): the first part
/// holds all metadata, every part holds `split.no` (u16, 0-based), `split.count` (u16) and
/// `split.tensors.count` (i32, the model's total), and each tensor lives in exactly one part.
public enum GGUFSplit {
    /// `split.no`: this part's 0-based index.
    public static let numberKey = "split.no"
    /// `split.count`: how many parts the model has.
    public static let countKey = "split.count"
    /// `split.tensors.count`: tensors in all parts together.
    public static let tensorCountKey = "split.tensors.count"

    /// A part's place in its set, from a `<prefix>-0000K-of-0000N.gguf` path (1-based `number`,
    /// as in the name).
    public struct PartName: Sendable, Equatable {
        /// Everything before `-0000K-of-0000N.gguf`.
        public let prefix: String
        /// 1-based part number, as in the name.
        public let number: Int
        /// Number of parts, as in the name.
        public let count: Int

        /// The path of part `number` (1-based) of this set.
        public func path(number: Int) -> String { GGUFSplit.path(prefix: prefix, number: number, count: count) }
    }

    /// `<prefix>-%05d-of-%05d.gguf`, llama.cpp's `llama_split_path` (1-based `number`).
    public static func path(prefix: String, number: Int, count: Int) -> String {
        prefix + "-" + fiveDigits(number) + "-of-" + fiveDigits(count) + ".gguf"
    }

    /// The split name of `path`, or `nil` when it is not named like a part.
    public static func partName(of path: String) -> PartName? {
        let suffixLength = "-00001-of-00003.gguf".count
        guard path.hasSuffix(".gguf"), path.count > suffixLength else { return nil }
        let tail = Array(path.suffix(suffixLength))
        guard tail[0] == "-", String(tail[6...9]) == "-of-",
              let number = Int(String(tail[1...5])), let count = Int(String(tail[10...14])),
              tail[1...5].allSatisfy(\.isASCII), tail[10...14].allSatisfy(\.isASCII),
              number >= 1, count >= 1
        else { return nil }
        return PartName(prefix: String(path.dropLast(suffixLength)), number: number, count: count)
    }

    /// Reads the whole set that the part at `path` belongs to (any part may be named) as one
    /// `GGUFFile`: the first part's metadata without the `split.*` keys, every part's tensors in
    /// part order (each with its `part`), `parts` holding the parsed parts. Errors name the part
    /// concerned: a missing or unreadable part, a `split.no` that does not match the name, a
    /// `split.count` or `split.tensors.count` that differs between parts, a tensor in two parts,
    /// a total that does not add up.
    public static func read(path: String, readPart: (String) throws -> GGUFFile = GGUFFile.read(path:)) throws -> GGUFFile {
        guard let name = partName(of: path) else {
            throw FileError(path: path, underlying: GGUFError.badSplit("the name is not <prefix>-0000K-of-0000N.gguf"))
        }
        guard name.number <= name.count else {
            throw FileError(path: path, underlying: GGUFError.badSplit("part \(name.number) of \(name.count) is past the last part"))
        }
        var parts: [GGUFFile] = []
        var expectedTensors: Int?
        for number in 1...name.count {
            let partPath = name.path(number: number)
            guard FileKind.of(partPath) == .file else {
                throw FileError(path: partPath, underlying: GGUFError.badSplit("part \(number) of \(name.count) is missing"))
            }
            let part = try readPart(partPath)
            try attributing(to: partPath) {
                let index = try integer(part, numberKey)
                guard index == number - 1 else {
                    throw GGUFError.badSplit("\(numberKey) is \(index), but the name says part \(number) (\(numberKey) \(number - 1))")
                }
                let count = try integer(part, countKey)
                guard count == name.count else {
                    throw GGUFError.badSplit("\(countKey) is \(count), but the set has \(name.count) parts")
                }
                let total = try integer(part, tensorCountKey)
                if let expectedTensors, expectedTensors != total {
                    throw GGUFError.badSplit("\(tensorCountKey) is \(total), but part 1 says \(expectedTensors)")
                }
                expectedTensors = total
            }
            parts.append(part)
        }
        return try attributing(to: name.path(number: 1)) { try merging(parts, expectedTensors: expectedTensors ?? 0, name: name) }
    }

    private static func merging(_ parts: [GGUFFile], expectedTensors: Int, name: PartName) throws -> GGUFFile {
        var tensors: [GGUFTensorInfo] = []
        var tensorIndex: [String: Int] = [:]
        for (partIndex, part) in parts.enumerated() {
            for var info in part.tensors {
                if let earlier = tensorIndex[info.name] {
                    let first = tensors[earlier].part + 1
                    throw GGUFError.badSplit("tensor '\(info.name)' is in part \(first) and in part \(partIndex + 1)")
                }
                info.part = partIndex
                tensorIndex[info.name] = tensors.count
                tensors.append(info)
            }
        }
        guard tensors.count == expectedTensors else {
            throw GGUFError.badSplit("the \(name.count) parts hold \(tensors.count) tensors, but \(tensorCountKey) is \(expectedTensors)")
        }
        let first = parts[0]
        let metadata = first.metadata.filter { !$0.key.hasPrefix("split.") }
        var metadataIndex: [String: Int] = [:]
        for (index, entry) in metadata.enumerated() { metadataIndex[entry.key] = index }
        return GGUFFile(storage: first.storage, version: first.version, metadata: metadata, metadataIndex: metadataIndex,
                        tensors: tensors, tensorIndex: tensorIndex, alignment: first.alignment, dataStart: first.dataStart, parts: parts)
    }

    private static func integer(_ part: GGUFFile, _ key: String) throws -> Int {
        guard let value = part[key] else { throw GGUFError.badSplit("\(key) is missing") }
        guard let number = value.intValue else { throw GGUFError.badSplit("\(key) is a \(value.type), not an integer") }
        return number
    }

    private static func fiveDigits(_ value: Int) -> String {
        let digits = String(value)
        return digits.count >= 5 ? digits : String(repeating: "0", count: 5 - digits.count) + digits
    }
}
