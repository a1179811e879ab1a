/// Problems specific to PyTorch zip checkpoints (zip and pickle problems keep their own enums).
public enum PyTorchError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file is a bare pickle: PyTorch's legacy (pre-1.6, `_use_new_zipfile_serialization=False`) format.
    case legacyFormat
    /// The file is neither a zip archive nor a pickle; `leadingBytes` are its first bytes in hex.
    case notACheckpoint(leadingBytes: String)
    /// The archive has no `<prefix>/data.pkl` entry.
    case missingDataPickle
    /// The archive has more than one top-level `data.pkl`.
    case ambiguousDataPickle([String])
    /// The `byteorder` record says `big`; converting big-endian checkpoints is not implemented.
    case bigEndian
    /// The `byteorder` record holds something other than `little` or `big`.
    case unknownByteOrder(String)
    /// The pickle's root object is not a dict of tensors.
    case rootNotDictionary(found: String)
    /// A dict key on the path to a tensor is not a string.
    case nonStringKey(path: String, found: String)
    /// The same dict is reachable twice (a cycle or shared sub-dict).
    case repeatedDictionary(path: String)
    /// Dicts nest deeper than the limit.
    case nestingTooDeep(path: String, limit: Int)
    /// A tensor refers to a storage whose `data/<key>` entry is not in the archive.
    case missingStorage(tensor: String, entry: String)
    /// A storage entry holds fewer bytes than its element count needs.
    case storageTooSmall(key: String, needed: Int, available: Int)
    /// Two tensors describe one storage key with different storage classes or element counts.
    case conflictingStorage(key: String)
    /// A tensor addresses elements past the end of its storage.
    case tensorOutOfStorage(tensor: String, lastElement: Int, storageElements: Int)
    /// A tensor's size or stride is unusable (negative, or overflowing).
    case badTensorLayout(tensor: String, reason: String)
    /// A Composer checkpoint's `state.model` holds no tensors.
    case composerModelEmpty
    /// A Composer checkpoint's weights (`state.model`) reach an object outside the allow-list.
    case composerWeightsReachPlaceholder(global: String, offset: Int)
    /// The config stored in a Composer checkpoint expands to more JSON values than the limit.
    case embeddedConfigTooLarge(limit: Int)

    public var description: String {
        switch self {
        case .legacyFormat:
            return "this is a legacy PyTorch checkpoint (a bare pickle, written by torch.save before 1.6 or with _use_new_zipfile_serialization=False), which is not supported; re-save it with a current torch.save or convert it to safetensors"
        case let .notACheckpoint(leadingBytes):
            return "not a PyTorch checkpoint: expected a zip archive (PK\\x03\\x04) but the file starts with \(leadingBytes)"
        case .missingDataPickle:
            return "PyTorch archive has no '<archive>/data.pkl' entry"
        case let .ambiguousDataPickle(names):
            return "PyTorch archive has several data.pkl entries (\(names.joined(separator: ", ")))"
        case .bigEndian:
            return "PyTorch archive is big-endian (byteorder record says 'big'); converting big-endian checkpoints is not supported"
        case let .unknownByteOrder(value):
            return "PyTorch archive byteorder record holds '\(value)' instead of 'little' or 'big'"
        case let .rootNotDictionary(found):
            return "PyTorch checkpoint holds \(found) instead of a dict of tensors"
        case let .nonStringKey(path, found):
            return "PyTorch checkpoint dict at '\(path)' has \(found) as a key instead of a string"
        case let .repeatedDictionary(path):
            return "PyTorch checkpoint dict at '\(path)' is reachable more than once (a cycle)"
        case let .nestingTooDeep(path, limit):
            return "PyTorch checkpoint dicts nest deeper than \(limit) levels at '\(path)'"
        case let .missingStorage(tensor, entry):
            return "tensor '\(tensor)' refers to storage entry '\(entry)', which is not in the archive"
        case let .storageTooSmall(key, needed, available):
            return "storage '\(key)' needs \(needed) bytes but its archive entry holds \(available)"
        case let .conflictingStorage(key):
            return "storage '\(key)' is described with different types or element counts"
        case let .tensorOutOfStorage(tensor, lastElement, storageElements):
            return "tensor '\(tensor)' addresses element \(lastElement) of a storage holding \(storageElements) elements"
        case let .badTensorLayout(tensor, reason):
            return "tensor '\(tensor)' has a bad layout: \(reason)"
        case .composerModelEmpty:
            return "Composer checkpoint has no tensors in state.model (no model weights to read)"
        case let .composerWeightsReachPlaceholder(global, offset):
            return "Composer checkpoint's weights (state.model) reach pickle global '\(global)' at byte \(offset), which is not on the allow-list; refusing to load it (nothing was executed)"
        case let .embeddedConfigTooLarge(limit):
            return "the config stored in the Composer checkpoint expands to more than \(limit) values"
        }
    }
}
