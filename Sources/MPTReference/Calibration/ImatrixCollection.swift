import MPTFormats
import MPTGraph

/// A llama-imatrix run over a tokenized calibration text (tools/imatrix/imatrix.cpp
/// `compute_imatrix`): non-overlapping chunks of `context` tokens, at most `limit` of them, a
/// text of fewer than two contexts refused (the cut `TextChunking` makes for llama-perplexity);
/// the first token of each chunk replaced by BOS when the model adds one (MPT's GPT-NeoX
/// tokenizer does not: `bos` nil); every position of every chunk collected.
public enum ImatrixCollection {
    /// Runs `forward` over the chunks of `tokens` and returns the imatrix, GGUF form, naming
    /// `dataset` (llama-imatrix records the `-f` path as given). `chunk_count` is the chunks
    /// run and `chunk_size` the context, as llama-imatrix writes them. `progress(done, total)`
    /// is called after each chunk.
    public static func collect(
        forward: MPTForward, tokens: [Int], chunking: TextChunking, bos: Int?, dataset: String,
        progress: (@Sendable (Int, Int) -> Void)? = nil
    ) throws -> ImatrixFile {
        let accumulator = ImportanceAccumulator(threads: forward.threads)
        var observed = forward
        observed.onLinearInput = { accumulator.add($0) }
        for chunk in 0..<chunking.chunks {
            try observed.runBlocks(tokens: chunking.window(chunk, of: tokens, bos: bos))
            progress?(chunk + 1, chunking.chunks)
        }
        return ImatrixFile(
            format: .gguf, entries: accumulator.entries, datasets: [dataset],
            chunkCount: chunking.chunks, chunkSize: chunking.context)
    }

    /// The linear weights llama-imatrix collects in a model of `config`: the four of every
    /// block (the output head is left out, as without `--process-output`).
    public static func collectedWeightNames(_ config: MPTConfig) -> [String] {
        let tensors: [CanonicalTensor.BlockTensor] = [.wqkv, .outProj, .upProj, .downProj]
        return (0..<config.nLayers).flatMap { layer in
            tensors.map { ImportanceAccumulator.entryName(layer: layer, tensor: $0) }
        }.sorted()
    }
}
