import MPTCore

extension ImatrixFile {
    /// `general.type` of a GGUF imatrix.
    public static let generalType = "imatrix"
    /// Metadata keys llama-imatrix writes (common/imatrix-loader.h).
    public static let datasetsKey = "imatrix.datasets"
    public static let chunkCountKey = "imatrix.chunk_count"
    public static let chunkSizeKey = "imatrix.chunk_size"
    /// Tensor-name suffixes of an entry's sums and counts.
    public static let sumsSuffix = ".in_sum2"
    public static let countsSuffix = ".counts"

    /// Parses the GGUF form (common/imatrix-loader.cpp `common_imatrix_load`, plus the metadata
    /// check of llama-quantize's `load_imatrix`).
    static func readGGUF(_ storage: ByteStorage, path: String) throws -> ImatrixFile {
        let file: GGUFFile
        do {
            file = try GGUFFile.parse(storage)
        } catch {
            throw ImatrixError.unreadableGGUF(file: path, reason: "\(error)")
        }
        guard !file.tensors.isEmpty else { throw ImatrixError.empty(file: path) }
        guard let datasetsValue = file[datasetsKey] else { throw ImatrixError.missingMetadata(file: path, key: datasetsKey) }
        guard case let .array(.string, elements) = datasetsValue else {
            throw ImatrixError.badMetadata(file: path, key: datasetsKey, reason: "is not an array of strings")
        }
        let datasets = elements.compactMap(\.stringValue)
        func uint32(_ key: String) throws -> Int {
            guard let value = file[key] else { throw ImatrixError.missingMetadata(file: path, key: key) }
            guard case let .uint32(raw) = value else {
                throw ImatrixError.badMetadata(file: path, key: key, reason: "is a \(value.type), not UINT32")
            }
            return Int(raw)
        }
        let chunkCount = try uint32(chunkCountKey)
        let chunkSize = try uint32(chunkSizeKey)

        var sums: [String: GGUFTensorInfo] = [:], counts: [String: GGUFTensorInfo] = [:]
        for info in file.tensors {
            if info.name.hasSuffix(sumsSuffix) {
                sums[String(info.name.dropLast(sumsSuffix.count))] = info
            } else if info.name.hasSuffix(countsSuffix) {
                counts[String(info.name.dropLast(countsSuffix.count))] = info
            }
        }
        var entries: [Entry] = []
        for name in Set(sums.keys).union(counts.keys).sorted() {
            guard let sumsInfo = sums[name] else { throw ImatrixError.unpairedTensor(file: path, tensor: name, missing: sumsSuffix) }
            guard let countsInfo = counts[name] else { throw ImatrixError.unpairedTensor(file: path, tensor: name, missing: countsSuffix) }
            let entry = try readEntry(name: name, sums: sumsInfo, counts: countsInfo, file: file, path: path)
            try checkValues(entry, path: path)
            entries.append(entry)
        }
        guard !entries.isEmpty else { throw ImatrixError.empty(file: path) }
        return ImatrixFile(format: .gguf, entries: entries, datasets: datasets, chunkCount: chunkCount, chunkSize: chunkSize)
    }

    private static func readEntry(
        name: String, sums sumsInfo: GGUFTensorInfo, counts countsInfo: GGUFTensorInfo, file: GGUFFile, path: String
    ) throws -> Entry {
        guard sumsInfo.type == .f32, countsInfo.type == .f32 else {
            throw ImatrixError.badEntry(file: path, tensor: name, reason: "sums and counts must be F32")
        }
        let matrices = countsInfo.elementCount
        guard matrices > 0, sumsInfo.elementCount > 0, sumsInfo.elementCount % matrices == 0 else {
            throw ImatrixError.badEntry(
                file: path, tensor: name,
                reason: "\(sumsInfo.elementCount) sums do not split into \(matrices) matrices")
        }
        let sums = try floats(of: sumsInfo, in: file)
        var counts: [Int64] = []
        counts.reserveCapacity(matrices)
        for (index, value) in try floats(of: countsInfo, in: file).enumerated() {
            // common_imatrix_load: std::lround of the stored float.
            guard value.isFinite, value >= 0, value < 0x1p62 else {
                throw ImatrixError.nonFinite(file: path, tensor: name + countsSuffix, index: index)
            }
            counts.append(Int64(value.rounded(.toNearestOrAwayFromZero)))
        }
        return Entry(name: name, sums: sums, counts: counts)
    }

    private static func floats(of info: GGUFTensorInfo, in file: GGUFFile) throws -> [Float] {
        try file.withBytes(of: info) { raw in
            (0..<info.elementCount).map { index in
                Float(bitPattern: raw.loadUnaligned(fromByteOffset: 4 * index, as: UInt32.self).littleEndian)
            }
        }
    }

    /// Writes the GGUF form exactly as llama-imatrix's `save_imatrix` does: `general.type`,
    /// `imatrix.datasets`, `imatrix.chunk_count`, `imatrix.chunk_size` (UINT32), then for each
    /// entry by name `<name>.in_sum2` (F32 `ne = [columns, matrices]`) and `<name>.counts`
    /// (F32 `ne = [1, matrices]`; a trailing `ne1 = 1` is not written, as `ggml_n_dims` drops it). Temp file, fsync, rename.
    public func writeGGUF(to path: String) throws {
        do {
            var writer = try GGUFWriter()
            try writer.addMetadata("general.type", .string(Self.generalType))
            try writer.addMetadata(Self.datasetsKey, .strings(datasets))
            try writer.addMetadata(Self.chunkCountKey, .uint32(try Self.uint32(chunkCount, "chunk count", path)))
            try writer.addMetadata(Self.chunkSizeKey, .uint32(try Self.uint32(chunkSize, "chunk size", path)))
            for entry in entries where !entry.sums.isEmpty && !entry.counts.isEmpty {
                let sums = entry.sums, counts = entry.counts.map { Float($0) }
                // gguf writes ggml_n_dims dimensions: a trailing ne1 = 1 (one matrix) is dropped.
                let single = counts.count == 1
                try writer.addTensor(
                    name: entry.name + Self.sumsSuffix, dims: single ? [entry.columns] : [counts.count, entry.columns], type: .f32
                ) {
                    try $0.write(contentsOf: sums)
                }
                try writer.addTensor(name: entry.name + Self.countsSuffix, dims: single ? [1] : [counts.count, 1], type: .f32) {
                    try $0.write(contentsOf: counts)
                }
            }
            try writer.write(to: path)
        } catch let error as ImatrixError {
            throw error
        } catch {
            throw ImatrixError.writeFailed(file: path, reason: "\(error)")
        }
    }

    static func uint32(_ value: Int, _ what: String, _ path: String) throws -> UInt32 {
        guard let raw = UInt32(exactly: value) else {
            throw ImatrixError.writeFailed(file: path, reason: "\(what) \(value) does not fit 32 bits")
        }
        return raw
    }
}
