import MPTCore

/// A llama-imatrix importance matrix: for each weight (by its GGUF tensor name), the per-input-
/// column sums of squared activations and how many activation rows were summed, as
/// `llama-imatrix` of llama.cpp (the version llama-cpp-python 0.3.36 vendors) writes them.
///
/// Two on-disk forms (Formats/imatrix.md):
/// - GGUF (`general.type = "imatrix"`): raw sums `<name>.in_sum2` (F32, `ne = [columns, matrices]`)
///   and counts `<name>.counts` (F32, `ne = [1, matrices]`), plus `imatrix.datasets`,
///   `imatrix.chunk_count`, `imatrix.chunk_size`.
/// - legacy `.dat`: per entry the mean times the call count and that count (`ncall`), then the
///   chunk count and the dataset name.
///
/// `entries` always holds what the file stores, not normalized; `importance(of:)` gives the
/// per-column weights llama-quantize derives from it.
public struct ImatrixFile: Sendable, Equatable {
    /// Which of the two on-disk forms.
    public enum Format: Sendable, Equatable {
        /// The GGUF form llama-imatrix writes by default.
        case gguf
        /// The legacy `.dat` form (`--output-format dat`).
        case legacy
    }

    /// One weight's statistics.
    public struct Entry: Sendable, Equatable {
        /// The weight's GGUF tensor name, e.g. `blk.0.attn_qkv.weight`.
        public var name: String
        /// `columns · matrices` values: GGUF raw sums of squares; legacy `mean · ncall`.
        public var sums: [Float]
        /// One count per matrix (expert): GGUF activation rows summed; legacy `[ncall]`.
        public var counts: [Int64]

        /// An entry; `sums.count` must be a multiple of `counts.count`.
        public init(name: String, sums: [Float], counts: [Int64]) {
            self.name = name
            self.sums = sums
            self.counts = counts
        }

        /// Values per matrix (the weight's input columns).
        public var columns: Int { counts.isEmpty ? 0 : sums.count / counts.count }
    }

    /// The form read or to be written.
    public var format: Format
    /// Entries sorted by name (llama-imatrix writes them so).
    public var entries: [Entry]
    /// The calibration texts named in the file.
    public var datasets: [String]
    /// Chunks the statistics were collected over.
    public var chunkCount: Int
    /// Tokens per chunk (GGUF only; 0 in a legacy file).
    public var chunkSize: Int

    /// An imatrix; entries are sorted by name.
    public init(format: Format, entries: [Entry], datasets: [String], chunkCount: Int, chunkSize: Int) {
        self.format = format
        self.entries = entries.sorted { $0.name < $1.name }
        self.datasets = datasets
        self.chunkCount = chunkCount
        self.chunkSize = chunkSize
    }

    /// The entry named `name`.
    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// The per-column importance llama-quantize passes to ggml's quantizers for `entry`
    /// (tools/quantize/quantize.cpp `load_imatrix`): GGUF `sum / Float(count)` per matrix, 1 where
    /// a matrix's count is 0; legacy `sum / Float(ncall)` (the sums unchanged when ncall ≤ 0).
    public func importance(of entry: Entry) -> [Float] {
        var result = [Float](repeating: 0, count: entry.sums.count)
        switch format {
        case .gguf:
            let columns = entry.columns
            for (matrix, count) in entry.counts.enumerated() {
                let divisor = Float(count)
                for column in 0..<columns {
                    let index = matrix * columns + column
                    result[index] = divisor > 0 ? entry.sums[index] / divisor : 1
                }
            }
        case .legacy:
            let calls = entry.counts.first ?? 0
            let divisor = Float(calls)
            for index in entry.sums.indices {
                result[index] = calls > 0 ? entry.sums[index] / divisor : entry.sums[index]
            }
        }
        return result
    }

    /// Reads either form: GGUF when the file starts with `GGUF`, legacy otherwise (llama.cpp's
    /// loader tries GGUF first and falls back to legacy). Every problem is an `ImatrixError`.
    public static func read(path: String) throws -> ImatrixFile {
        let storage: ByteStorage
        do {
            storage = try ByteStorage(mappingFileAt: path)
        } catch {
            throw ImatrixError.unopenable(file: path, reason: "\(error)")
        }
        if storage.count >= 4, (try? storage.copyBytes(offset: 0, length: 4)) == GGUFFile.magic {
            return try readGGUF(storage, path: path)
        }
        return try readLegacy(storage, path: path)
    }

    /// Checks values read from a file: sums finite and non-negative, counts non-negative.
    static func checkValues(_ entry: Entry, path: String) throws {
        for (index, value) in entry.sums.enumerated() where !(value.isFinite && value >= 0) {
            throw ImatrixError.nonFinite(file: path, tensor: entry.name, index: index)
        }
        for (index, count) in entry.counts.enumerated() where count < 0 {
            throw ImatrixError.nonFinite(file: path, tensor: entry.name, index: index)
        }
    }
}
