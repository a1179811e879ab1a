import MPTCore

extension BPETokenizer {
    /// Encodes `text` on up to `threads` threads; the result is identical to `encode(_:)`.
    ///
    /// The text is cut only at "safe" points p where byte p-1 is `\n` and bytes p-2 and p are
    /// printable non-space ASCII (`!`…`~`). At such a point:
    /// * the GPT-2 regex ends a piece at p in the whole text and in the chunk alike: the `\n` is
    ///   a whitespace run of one scalar (p-2 and p are not `\s`), so in the whole text
    ///   `\s+(?!\S)` fails and `\s+` takes exactly the `\n`; at the end of a chunk `\s+(?!\S)`
    ///   takes exactly the `\n` too; no other alternative contains `\s`, and the regex never
    ///   looks behind, so matching from p restarts identically;
    /// * no added token spans p, because cutting is disabled when any pattern contains `\n`
    ///   or strips whitespace on its left (`rstrip` only reaches up to p, the same in both);
    /// * NFC does not cross p, since an ASCII scalar never composes with what precedes it;
    /// * `add_prefix_space` and `use_regex: false` would treat a chunk start differently, so
    ///   those configurations are encoded on one thread.
    public func encode(_ text: String, threads: Int, minimumChunkBytes: Int = 1 << 16) -> [UInt32] {
        var text = text
        return text.withUTF8 { bytes in
            let cuts = parallelCuts(in: bytes, threads: threads, minimumChunkBytes: minimumChunkBytes)
            guard cuts.count > 2 else { return encode(validUTF8: bytes) }
            return encodeChunks(bytes, cuts: cuts, threads: threads)
        }
    }

    /// Chunk boundaries (first 0, last `bytes.count`), or just those two when not splitting.
    func parallelCuts(in bytes: UnsafeBufferPointer<UInt8>, threads: Int, minimumChunkBytes: Int) -> [Int] {
        let count = bytes.count
        guard threads > 1, addPrefixSpace == false, splitsWithRegex,
              !rawAddedTokens.blocksParallelSplit, !normalizedAddedTokens.blocksParallelSplit else { return [0, count] }
        let target = max(max(1, minimumChunkBytes), count / (threads * 4))
        var cuts = [0]
        var position = target
        while position < count - 1 {
            var cut = max(position, 2)
            while cut < count, !isSafeCut(bytes, cut) { cut += 1 }
            guard cut < count else { break }
            cuts.append(cut)
            position = cut + target
        }
        cuts.append(count)
        return cuts
    }

    @inline(__always)
    private func isSafeCut(_ bytes: UnsafeBufferPointer<UInt8>, _ cut: Int) -> Bool {
        bytes[cut - 1] == UInt8(ascii: "\n") && (0x21...0x7E).contains(bytes[cut - 2]) && (0x21...0x7E).contains(bytes[cut])
    }

    private func encodeChunks(_ bytes: UnsafeBufferPointer<UInt8>, cuts: [Int], threads: Int) -> [UInt32] {
        let chunkCount = cuts.count - 1
        guard chunkCount > 0, let base = bytes.baseAddress else { return [] }
        let input = SendablePointer(base)
        // One encoding run (and its word cache) per worker, over a contiguous run of chunks.
        let pieces = (try? mapChunks(count: chunkCount, threads: threads) { chunks -> [UInt32] in
            var run = EncodingRun(tokenizer: self)
            var ids: [UInt32] = []
            for chunk in chunks {
                run.encode(input.readOnlyBuffer(from: cuts[chunk], count: cuts[chunk + 1] - cuts[chunk]))
                ids.append(contentsOf: run.takeOutput())
            }
            return ids
        }) ?? []
        return Array(pieces.joined())
    }
}
