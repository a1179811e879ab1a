/// Everything that can be wrong with a GGUF file we read, or with tensors handed to our writer.
public enum GGUFError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The first four bytes are not `GGUF`.
    case badMagic([UInt8])
    /// A version other than 2 or 3 (a big-endian file reads as a huge version).
    case unsupportedVersion(UInt32)
    /// Reading `what` at `offset` needed `needed` bytes but only `available` remain.
    case truncated(what: String, offset: Int, needed: Int, available: Int)
    /// A count (tensors, keys, array elements) cannot fit in the bytes that remain.
    case countTooLarge(what: String, count: UInt64, offset: Int, remaining: Int)
    /// A string is not valid UTF-8.
    case invalidUTF8(what: String, offset: Int)
    /// A metadata value has a type tag we do not know.
    case unknownValueType(key: String, type: UInt32, offset: Int)
    /// A bool byte other than 0 or 1.
    case invalidBool(key: String, byte: UInt8, offset: Int)
    /// Arrays nested deeper than the reader allows.
    case nestingTooDeep(key: String, limit: Int)
    /// A metadata key appears twice.
    case duplicateKey(String)
    /// `general.alignment` is not a UINT32.
    case alignmentType(GGUFValueType)
    /// An alignment that is zero or not a power of two.
    case badAlignment(UInt64)
    /// A tensor name appears twice.
    case duplicateTensor(String)
    /// A tensor has more dimensions than ggml supports.
    case tooManyDimensions(tensor: String, count: UInt32, limit: Int)
    /// A dimension is zero or does not fit in `Int`.
    case badDimension(tensor: String, index: Int, value: UInt64)
    /// The element count of a tensor overflows.
    case shapeOverflow(tensor: String, dims: [Int])
    /// A tensor's innermost dimension is not a whole number of its type's blocks.
    case partialBlock(tensor: String, type: GGMLType, innermostDim: Int)
    /// A tensor type number that ggml does not define (or that it removed).
    case unknownTensorType(tensor: String, type: UInt32)
    /// A tensor's offset is not a multiple of the alignment.
    case misalignedOffset(tensor: String, offset: UInt64, alignment: Int)
    /// A tensor's bytes end past the end of the file.
    case tensorOutOfBounds(tensor: String, end: UInt64, fileSize: Int)
    /// Two tensors' byte ranges overlap.
    case overlappingTensors(String, String)
    /// No tensor has this name.
    case missingTensor(String)
    /// A dense view was asked for a block-quantized tensor.
    case notDense(tensor: String, type: GGMLType)
    /// A writer's tensor source produced the wrong number of bytes.
    case tensorByteCount(tensor: String, expected: Int, produced: Int)
    /// A value handed to the writer cannot be encoded (array element of the wrong type, …).
    case invalidValue(key: String, reason: String)
    /// A write, sync or rename failed.
    case writeFailed(path: String, reason: String)
    /// The parts of a split GGUF (`-0000K-of-0000N.gguf`) do not form one model.
    case badSplit(String)

    public var description: String {
        switch self {
        case let .badMagic(bytes):
            return "not a GGUF file: magic is \(bytes.map { String($0, radix: 16) }) instead of 'GGUF'"
        case let .unsupportedVersion(version):
            return "unsupported GGUF version \(version) (supported: 2 and 3, little-endian)"
        case let .truncated(what, offset, needed, available):
            return "file ends inside \(what) at byte \(offset): needed \(needed) bytes, \(available) left"
        case let .countTooLarge(what, count, offset, remaining):
            return "\(what) of \(count) at byte \(offset) cannot fit in the \(remaining) bytes left"
        case let .invalidUTF8(what, offset):
            return "\(what) at byte \(offset) is not valid UTF-8"
        case let .unknownValueType(key, type, offset):
            return "metadata key '\(key)' has unknown value type \(type) at byte \(offset)"
        case let .invalidBool(key, byte, offset):
            return "metadata key '\(key)' has bool byte \(byte) at byte \(offset) (expected 0 or 1)"
        case let .nestingTooDeep(key, limit):
            return "metadata key '\(key)' nests arrays deeper than \(limit) levels"
        case let .duplicateKey(key):
            return "metadata key '\(key)' appears more than once"
        case let .alignmentType(type):
            return "general.alignment has type \(type), expected UINT32"
        case let .badAlignment(value):
            return "alignment \(value) is not a non-zero power of two"
        case let .duplicateTensor(name):
            return "tensor '\(name)' appears more than once"
        case let .tooManyDimensions(tensor, count, limit):
            return "tensor '\(tensor)' has \(count) dimensions, more than the \(limit) ggml supports"
        case let .badDimension(tensor, index, value):
            return "tensor '\(tensor)' has invalid dimension \(value) at index \(index)"
        case let .shapeOverflow(tensor, dims):
            return "tensor '\(tensor)' shape \(dims) is too large (element or byte count overflows)"
        case let .partialBlock(tensor, type, innermostDim):
            return "tensor '\(tensor)' of type \(type) has innermost dimension \(innermostDim), not a multiple of the block size \(type.blockSize)"
        case let .unknownTensorType(tensor, type):
            return "tensor '\(tensor)' has unknown ggml type \(type)"
        case let .misalignedOffset(tensor, offset, alignment):
            return "tensor '\(tensor)' data offset \(offset) is not a multiple of the alignment \(alignment)"
        case let .tensorOutOfBounds(tensor, end, fileSize):
            return "tensor '\(tensor)' data ends at byte \(end), past the end of the file (\(fileSize) bytes)"
        case let .overlappingTensors(first, second):
            return "tensors '\(first)' and '\(second)' have overlapping data"
        case let .missingTensor(name):
            return "no tensor named '\(name)'"
        case let .notDense(tensor, type):
            return "tensor '\(tensor)' has block-quantized type \(type) and has no dense view"
        case let .tensorByteCount(tensor, expected, produced):
            return "tensor '\(tensor)' source produced \(produced) bytes, expected \(expected)"
        case let .invalidValue(key, reason):
            return "metadata key '\(key)' cannot be written: \(reason)"
        case let .writeFailed(path, reason):
            return "writing \(path) failed: \(reason)"
        case let .badSplit(reason):
            return "split GGUF: \(reason)"
        }
    }
}
