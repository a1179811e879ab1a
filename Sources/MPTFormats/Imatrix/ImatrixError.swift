/// What can be wrong with a llama-imatrix importance-matrix file (GGUF or legacy `.dat`), or
/// with how it fits a model. Every case names the file and, where there is one, the tensor.
public enum ImatrixError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file cannot be opened or mapped.
    case unopenable(file: String, reason: String)
    /// The file is GGUF but not readable as one (`reason` is the GGUF reader's message).
    case unreadableGGUF(file: String, reason: String)
    /// A GGUF imatrix lacks `imatrix.datasets`, `imatrix.chunk_count` or `imatrix.chunk_size`
    /// (llama-quantize refuses such a file: "missing imatrix metadata").
    case missingMetadata(file: String, key: String)
    /// A metadata value of the wrong type or out of range.
    case badMetadata(file: String, key: String, reason: String)
    /// The file holds no entries.
    case empty(file: String)
    /// A `.in_sum2` without its `.counts` or the other way round.
    case unpairedTensor(file: String, tensor: String, missing: String)
    /// An entry's tensors have the wrong type or shape (`reason` says which).
    case badEntry(file: String, tensor: String, reason: String)
    /// A legacy `.dat` file ends or breaks before `what`.
    case truncated(file: String, what: String)
    /// A sum or count that is NaN, infinite or negative.
    case nonFinite(file: String, tensor: String, index: Int)
    /// Two entries with the same name.
    case duplicateEntry(file: String, tensor: String)
    /// An entry naming no weight of the model.
    case unknownTensor(file: String, tensor: String)
    /// An entry whose column count does not match the model's weight.
    case sizeMismatch(file: String, tensor: String, entryValues: Int, tensorColumns: Int)
    /// Writing the file failed.
    case writeFailed(file: String, reason: String)

    public var description: String {
        switch self {
        case let .unopenable(file, reason):
            return "\(file): cannot read the imatrix: \(reason)"
        case let .unreadableGGUF(file, reason):
            return "\(file): not a readable GGUF imatrix: \(reason)"
        case let .missingMetadata(file, key):
            return "\(file): GGUF imatrix has no '\(key)' (llama-quantize needs imatrix.datasets, chunk_count and chunk_size)"
        case let .badMetadata(file, key, reason):
            return "\(file): imatrix metadata '\(key)' \(reason)"
        case let .empty(file):
            return "\(file): the imatrix holds no entries"
        case let .unpairedTensor(file, tensor, missing):
            return "\(file): imatrix entry '\(tensor)' has no '\(tensor)\(missing)' tensor"
        case let .badEntry(file, tensor, reason):
            return "\(file): imatrix entry '\(tensor)': \(reason)"
        case let .truncated(file, what):
            return "\(file): legacy imatrix truncated or garbled at \(what)"
        case let .nonFinite(file, tensor, index):
            return "\(file): imatrix entry '\(tensor)' has a non-finite or negative value at \(index)"
        case let .duplicateEntry(file, tensor):
            return "\(file): imatrix entry '\(tensor)' appears twice"
        case let .unknownTensor(file, tensor):
            return "\(file): imatrix entry '\(tensor)' names no weight of the model"
        case let .sizeMismatch(file, tensor, entryValues, tensorColumns):
            return "\(file): imatrix entry '\(tensor)' has \(entryValues) values, the model's tensor has \(tensorColumns) columns"
        case let .writeFailed(file, reason):
            return "\(file): cannot write the imatrix: \(reason)"
        }
    }
}
