import MPTGraph

/// The keys and values of every position run so far, per layer, for incremental decoding.
///
/// Each layer stores `[length × d_model]` keys and values (heads side by side, as they come out
/// of the fused `Wqkv` product, after `clip_qkv` and `qk_ln`). Memory is
/// `2 × n_layers × length × d_model` elements: 2 × 2 × 64 × 32 floats for a tiny fixture,
/// 1 GiB in `Float` for MPT-7B at 2048 positions.
public struct KeyValueCache<T: ForwardScalar>: Sendable {
    /// Positions held (the same in every layer once a step has finished).
    public private(set) var length = 0
    /// Elements per position (`d_model`).
    public let width: Int
    /// `keys[layer]`: `[length × width]`, row-major.
    var keys: [[T]]
    /// `values[layer]`: `[length × width]`, row-major.
    var values: [[T]]
    /// The block buffers of single-token steps, made by the first step and reused by the next
    /// (with the FFN width and thread count they were made for), so a decoding step allocates
    /// no scratch. Copies of a cache share them: extend copies one at a time, not concurrently.
    var stepBuffers: (buffers: BlockBuffers<T>, ffnHiddenSize: Int, threads: Int)?

    /// An empty cache shaped for `config`.
    public init(config: MPTConfig) {
        width = config.dModel
        keys = Array(repeating: [], count: max(0, config.nLayers))
        values = Array(repeating: [], count: max(0, config.nLayers))
    }

    /// Number of layers the cache holds.
    public var layerCount: Int { keys.count }

    /// Bytes held by the cached keys and values.
    public var byteCount: Int {
        keys.reduce(0) { $0 + $1.count * MemoryLayout<T>.stride } + values.reduce(0) { $0 + $1.count * MemoryLayout<T>.stride }
    }

    /// Makes room for `positions` positions in every layer, so appending up to them never copies.
    public mutating func reserve(positions: Int) {
        let capacity = max(0, positions) * width
        for layer in keys.indices {
            keys[layer].reserveCapacity(capacity)
            values[layer].reserveCapacity(capacity)
        }
    }

    /// The buffers for a step of `rows` rows: the kept single-token ones when they fit.
    mutating func buffers(rows: Int, config: MPTConfig, threads: Int) -> BlockBuffers<T> {
        if rows == 1, let kept = stepBuffers, kept.ffnHiddenSize == config.ffnHiddenSize, kept.threads == threads {
            return kept.buffers
        }
        let made = BlockBuffers<T>(length: rows, config: config, threads: threads)
        if rows == 1 { stepBuffers = (made, config.ffnHiddenSize, threads) }
        return made
    }

    /// Appends the key and value parts of `rows` fused `qkv` rows (`[rows × 3·width]`) to `layer`.
    mutating func append(layer: Int, qkv: UnsafePointer<T>, rows: Int) {
        for row in 0..<rows {
            let base = qkv + row * 3 * width
            keys[layer].append(contentsOf: UnsafeBufferPointer(start: base + width, count: width))
            values[layer].append(contentsOf: UnsafeBufferPointer(start: base + 2 * width, count: width))
        }
    }

    /// Records that every layer now holds `rows` more positions.
    mutating func commit(rows: Int) { length += rows }
}
