import MPTCore

extension ImatrixFile {
    /// Parses the legacy `.dat` form (common/imatrix-loader.cpp `common_imatrix_load_legacy`):
    /// `i32 n_entries`, then per entry `i32 len, name, i32 ncall, i32 nval, f32 × nval`, then
    /// optionally `i32 chunk_count, i32 len, dataset`. Unlike llama.cpp, a negative or
    /// oversized length, or bytes left after the dataset, is an error, not undefined behaviour.
    static func readLegacy(_ storage: ByteStorage, path: String) throws -> ImatrixFile {
        var cursor = try ByteCursor(storage)
        func int32(_ what: String) throws -> Int {
            guard let value = try? cursor.readInt32LE() else { throw ImatrixError.truncated(file: path, what: what) }
            return Int(value)
        }
        func bytes(_ count: Int, _ what: String) throws -> [UInt8] {
            guard count >= 0, count <= cursor.remaining, let raw = try? cursor.readBytes(count) else {
                throw ImatrixError.truncated(file: path, what: what)
            }
            return raw
        }
        let entryCount = try int32("the entry count")
        guard entryCount >= 1 else { throw ImatrixError.empty(file: path) }
        // Smallest entry: len, one name byte, ncall, nval, one float.
        guard entryCount <= cursor.remaining / 17 else { throw ImatrixError.truncated(file: path, what: "entry count \(entryCount)") }
        var entries: [Entry] = []
        var names: Set<String> = []
        for index in 0..<entryCount {
            let nameLength = try int32("the name length of entry \(index)")
            guard nameLength > 0, let name = String(validating: try bytes(nameLength, "the name of entry \(index)"), as: UTF8.self) else {
                throw ImatrixError.truncated(file: path, what: "the name of entry \(index)")
            }
            let calls = try int32("the call count of '\(name)'")
            let valueCount = try int32("the value count of '\(name)'")
            guard valueCount >= 1, valueCount <= cursor.remaining / 4 else {
                throw ImatrixError.truncated(file: path, what: "the \(valueCount) values of '\(name)'")
            }
            let raw = try bytes(4 * valueCount, "the values of '\(name)'")
            let sums = (0..<valueCount).map { i in
                Float(bitPattern: UInt32(raw[4 * i]) | UInt32(raw[4 * i + 1]) << 8 | UInt32(raw[4 * i + 2]) << 16 | UInt32(raw[4 * i + 3]) << 24)
            }
            guard names.insert(name).inserted else { throw ImatrixError.duplicateEntry(file: path, tensor: name) }
            let entry = Entry(name: name, sums: sums, counts: [Int64(calls)])
            try checkValues(entry, path: path)
            entries.append(entry)
        }
        var chunkCount = 0
        var datasets: [String] = []
        if !cursor.isAtEnd {
            chunkCount = try int32("the chunk count")
            guard chunkCount >= 0 else { throw ImatrixError.badMetadata(file: path, key: "chunk count", reason: "is \(chunkCount)") }
            if !cursor.isAtEnd {
                let length = try int32("the dataset name length")
                if length > 0 {
                    guard let dataset = String(validating: try bytes(length, "the dataset name"), as: UTF8.self) else {
                        throw ImatrixError.truncated(file: path, what: "the dataset name")
                    }
                    datasets.append(dataset)
                }
            }
            guard cursor.isAtEnd else { throw ImatrixError.truncated(file: path, what: "\(cursor.remaining) bytes after the dataset name") }
        }
        return ImatrixFile(format: .legacy, entries: entries, datasets: datasets, chunkCount: chunkCount, chunkSize: 0)
    }

    /// This imatrix in the legacy form, computed as llama-imatrix's `save_imatrix_legacy` does
    /// from raw sums: `ncall = ⌈max(counts) / chunk_size⌉`, each value `(sum / count) · ncall`
    /// (1 · ncall where a matrix's count is 0); entries whose counts are all 0 are dropped.
    /// A legacy imatrix is returned unchanged. `chunkSize` must be positive for a GGUF one.
    public func legacyForm() throws -> ImatrixFile {
        guard format == .gguf else { return self }
        guard chunkSize > 0 else {
            throw ImatrixError.badMetadata(file: "imatrix", key: Self.chunkSizeKey, reason: "is 0: cannot derive call counts")
        }
        var converted: [Entry] = []
        for entry in entries where entry.counts.contains(where: { $0 != 0 }) && !entry.sums.isEmpty {
            let maxCount = entry.counts.max() ?? 0
            let calls = (maxCount + Int64(chunkSize) - 1) / Int64(chunkSize)
            let columns = entry.columns
            let values = entry.sums.indices.map { index -> Float in
                var count = Float(entry.counts[index / columns])
                var value = entry.sums[index]
                if count == 0 { value = 1; count = 1 }
                return (value / count) * Float(Int32(truncatingIfNeeded: calls))
            }
            converted.append(Entry(name: entry.name, sums: values, counts: [calls]))
        }
        return ImatrixFile(format: .legacy, entries: converted, datasets: datasets, chunkCount: chunkCount, chunkSize: 0)
    }

    /// Writes the legacy `.dat` form of a legacy imatrix (see `legacyForm()`): entries by name,
    /// then the chunk count and the last dataset name. Temp file, fsync, rename.
    public func writeLegacy(to path: String) throws {
        guard format == .legacy else { return try legacyForm().writeLegacy(to: path) }
        var bytes: [UInt8] = []
        func int32(_ value: Int, _ what: String) throws {
            guard let raw = Int32(exactly: value) else {
                throw ImatrixError.writeFailed(file: path, reason: "\(what) \(value) does not fit 32 bits")
            }
            withUnsafeBytes(of: raw.littleEndian) { bytes.append(contentsOf: $0) }
        }
        try int32(entries.count, "entry count")
        for entry in entries {
            let name = Array(entry.name.utf8)
            try int32(name.count, "name length")
            bytes.append(contentsOf: name)
            try int32(Int(entry.counts.first ?? 0), "call count")
            try int32(entry.sums.count, "value count")
            for value in entry.sums { withUnsafeBytes(of: value.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        }
        try int32(chunkCount, "chunk count")
        let dataset = Array((datasets.last ?? "").utf8)
        try int32(dataset.count, "dataset name length")
        bytes.append(contentsOf: dataset)
        do {
            let output = try AtomicOutputFile(path: path, overwrite: true, durable: true)
            try output.write(bytes)
            try output.commit()
        } catch {
            throw ImatrixError.writeFailed(file: path, reason: "\(error)")
        }
    }
}
