#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import MPTCore
import MPTGraph

/// Where the fresh quantization keeps its tensors: each one's stored bytes are appended to an
/// unlinked scratch file as soon as it is made (its heap copy then dropped), and `finish` serves
/// them all from one read-only mapping of that file. The forward pass reads them in place and
/// releases their pages like any mapped model, so the fresh model costs page cache, not
/// resident memory: a pass over it keeps about one tensor resident.
final class FreshSpill {
    /// A tensor's place in the file: a dense view, or a quantized tensor's components.
    private enum Placed {
        case dense(Piece)
        case quantized(format: String, shape: [Int], parameters: [String: String], components: [String: Piece])
    }

    /// One view's bytes at `offset` of the file.
    private struct Piece {
        let dtype: DType
        let shape: Shape
        let offset: Int
    }

    private let descriptor: Int32
    private let path: String
    private var length = 0
    private var placed: [CanonicalTensor: Placed] = [:]

    /// Creates the scratch file in `$TMPDIR` (else `/tmp`). On Linux it is unlinked at once
    /// (the open descriptor keeps it until the process ends); elsewhere when `finish` maps it.
    init() throws {
        let directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp"
        var template = Array((directory + "/mptkit-fresh-XXXXXX").utf8CString)
        descriptor = template.withUnsafeMutableBufferPointer { buffer in buffer.baseAddress.map { mkstemp($0) } ?? -1 }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        guard descriptor >= 0 else { throw CoreError.writeFailed(path: path, reason: String(cString: strerror(errno))) }
        #if os(Linux)
        unlink(path)
        #endif
    }

    deinit {
        close(descriptor)
        #if !os(Linux)
        unlink(path)
        #endif
    }

    /// Appends `source`'s bytes as `tensor` (replacing an earlier one of the same name).
    func add(_ tensor: CanonicalTensor, _ source: TensorSource) throws {
        switch source {
        case let .dense(view):
            placed[tensor] = .dense(try append(view))
        case let .quantized(quantized):
            var components: [String: Piece] = [:]
            for (name, view) in quantized.components.sorted(by: { $0.key < $1.key }) { components[name] = try append(view) }
            placed[tensor] = .quantized(format: quantized.format, shape: quantized.shape, parameters: quantized.parameters, components: components)
        case .merged:
            throw ReferenceError.sizeMismatch("a fresh tensor is never a LoRA merge (\(tensor.name))")
        }
    }

    /// Maps the file and returns every added tensor as a source over the mapping.
    func finish() throws -> [CanonicalTensor: TensorSource] {
        guard length > 0 else { return [:] }
        #if os(Linux)
        let storage = try ByteStorage(mappingFileAt: "/proc/self/fd/\(descriptor)")
        #else
        let storage = try ByteStorage(mappingFileAt: path)
        #endif
        func view(_ piece: Piece) throws -> TensorView {
            try TensorView(storage: storage, dtype: piece.dtype, shape: piece.shape, byteOffset: piece.offset)
        }
        var sources: [CanonicalTensor: TensorSource] = [:]
        for (tensor, place) in placed {
            switch place {
            case let .dense(piece):
                sources[tensor] = .dense(try view(piece))
            case let .quantized(format, shape, parameters, components):
                sources[tensor] = .quantized(QuantizedTensor(
                    format: format, shape: shape, components: try components.mapValues(view), parameters: parameters))
            }
        }
        return sources
    }

    /// Writes `view`'s bytes at the next 64-byte boundary (the alignment of the heap buffers the
    /// kernels read otherwise).
    private func append(_ view: TensorView) throws -> Piece {
        let start = (length + 63) / 64 * 64
        try view.withContiguousBytes { bytes in
            guard let base = bytes.baseAddress else { return }
            var written = 0
            while written < bytes.count {
                let result = pwrite(descriptor, base + written, bytes.count - written, off_t(start + written))
                if result < 0 && errno == EINTR { continue }
                guard result > 0 else {
                    throw CoreError.writeFailed(path: path, reason: result < 0 ? String(cString: strerror(errno)) : "short write")
                }
                written += result
            }
        }
        length = start + view.byteCount
        return Piece(dtype: view.dtype, shape: view.shape, offset: start)
    }
}
