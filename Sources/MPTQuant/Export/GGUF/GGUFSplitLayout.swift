import MPTFormats

/// How `llama-gguf-split --split-max-size` cuts a model into parts, so a `--shard-size` GGUF
/// output is laid out as that tool lays it out: tensors stay in order; each counts its bytes
/// padded to the 32-byte default alignment (metadata is not counted); a part is closed before
/// the tensor that would take it past the limit. A single tensor larger than the limit gets a
/// part of its own (llama-gguf-split refuses such a split, "one of splits have 0 tensors").
public enum GGUFSplitLayout {
    /// The parts as ranges of tensor indices, for tensors of `byteCounts` bytes in file order.
    public static func parts(byteCounts: [Int], maxBytes: Int, alignment: Int = GGUFFile.defaultAlignment) -> [Range<Int>] {
        var parts: [Range<Int>] = []
        var start = 0
        var size = 0
        for (index, count) in byteCounts.enumerated() {
            let padded = count.roundedUp(toMultipleOf: alignment)
            if index > start, size + padded > maxBytes {
                parts.append(start..<index)
                start = index
                size = padded
            } else {
                size += padded
            }
        }
        parts.append(start..<byteCounts.count)
        return parts
    }

    /// The split keys of part `index` (0-based) of `count`, in llama-gguf-split's order (it sets
    /// `split.count` last, after the others): `split.no` (UINT16), `split.tensors.count` (INT32),
    /// `split.count` (UINT16).
    public static func splitMetadata(part index: Int, of count: Int, tensors: Int) -> [(key: String, value: GGUFValue)] {
        [
            (GGUFSplit.numberKey, .uint16(UInt16(clamping: index))),
            (GGUFSplit.tensorCountKey, .int32(Int32(clamping: tensors))),
            (GGUFSplit.countKey, .uint16(UInt16(clamping: count))),
        ]
    }
}

extension Int {
    fileprivate func roundedUp(toMultipleOf alignment: Int) -> Int {
        (self + alignment - 1) / alignment * alignment
    }
}
