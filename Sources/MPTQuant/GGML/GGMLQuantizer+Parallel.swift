import Dispatch
import MPTFormats

/// Raw buffer addresses handed to worker threads. Each worker touches a disjoint block range.
private struct QuantizationJob: @unchecked Sendable {
    let source: UnsafePointer<Float>
    let target: UnsafeMutableRawPointer
    let format: any GGMLBlockFormat.Type
    let kernel: GGMLKernel
}

extension GGMLQuantizer {
    /// Quantizes rows of `rowLength` values (a multiple of the block size) on `threads` threads
    /// (default 2), each taking a contiguous run of rows. Output equals `quantize(_:as:into:)`.
    public static func quantizeRows(
        _ values: UnsafeBufferPointer<Float>, rowLength: Int, as type: GGMLType,
        into destination: UnsafeMutableRawBufferPointer, threads: Int = 2, kernel: GGMLKernel = .simd
    ) throws {
        guard let format = format(for: type) else { throw GGMLQuantError.unsupportedType(type) }
        guard rowLength > 0, rowLength % type.blockSize == 0 else {
            throw GGMLQuantError.partialBlock(type: type, count: rowLength)
        }
        guard values.count % rowLength == 0 else {
            throw GGMLQuantError.bufferSize(what: "rows of \(rowLength)", expected: values.count / rowLength * rowLength, actual: values.count)
        }
        let expected = try byteCount(elementCount: values.count, as: type)
        guard destination.count == expected else {
            throw GGMLQuantError.bufferSize(what: "\(type) destination", expected: expected, actual: destination.count)
        }
        guard let source = values.baseAddress, let target = destination.baseAddress else { return }
        let rows = values.count / rowLength
        let blocksPerRow = rowLength / type.blockSize
        let workers = max(1, min(threads, rows))
        let job = QuantizationJob(source: source, target: target, format: format, kernel: kernel)
        if workers == 1 {
            quantizeBlocks(format, source: source, target: target, blocks: 0..<(rows * blocksPerRow), kernel: kernel)
            return
        }
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let firstRow = rows * worker / workers
            let endRow = rows * (worker + 1) / workers
            quantizeBlocks(
                job.format, source: job.source, target: job.target,
                blocks: (firstRow * blocksPerRow)..<(endRow * blocksPerRow), kernel: job.kernel)
        }
    }
}
