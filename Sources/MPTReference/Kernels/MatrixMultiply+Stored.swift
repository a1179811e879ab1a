import MPTCore
import MPTQuant

/// The product with `B` read in place from its stored encoding (`StoredMatrix`): float32 rows go
/// straight to the plain kernels; every other encoding is decoded inside the kernel, one
/// column group × 512-deep panel of `B` at a time (L2-sized, decoded once and used by every row
/// group) into the worker's panel of a `DecodeScratch`, or one whole row at a time on the
/// few-rows path. The loops, tiles and summation order are those of the float kernels, so the
/// result equals decoding the whole tensor and multiplying it, bit for bit (except a decoding
/// step over bf16/f16 rows already checked finite, which fuses the decode into its dot products:
/// `MatrixMultiply+FewRows`). `multiplyTransposedStoredScalar` is the plain twin.
extension MatrixMultiply {
    /// `C[s, o] = Σᵢ A[s, i] · B[o, i] (+ bias[o])` with `B` = `b` (`columns × depth`). With
    /// `checkFinite`, returns the row-major index and value of the first NaN or ±infinity of `B`
    /// (then `C` is meaningless), else `nil`.
    public static func multiplyTransposed(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: StoredMatrix,
        bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int,
        threads: Int, scratch: DecodeScratch, checkFinite: Bool = true, level: KernelLevel = .active
    ) throws -> (index: Int, value: Float)? {
        guard b.rows == columns, b.columns == depth else {
            throw ReferenceError.sizeMismatch("product of depth \(depth) into \(columns) columns with a \(b.rows)×\(b.columns) weight")
        }
        guard rows > 0, columns > 0 else { return nil }
        if let rowsInPlace = b.float32Rows {
            if checkFinite, let index = NonFiniteScan.first(in: rowsInPlace, count: b.elementCount) {
                return (index, rowsInPlace[index])
            }
            multiplyTransposed(
                rows: rows, columns: columns, depth: depth, a: a, lda: lda, b: rowsInPlace, ldb: depth, bias: bias,
                c: c, ldc: ldc, threads: threads, level: level)
            return nil
        }
        let blockDepth = decodedBlockDepth(granule: b.granule)
        let work = Double(rows) * Double(columns) * Double(max(depth, 1))
        let workers = work < 4_000_000 ? 1 : threads
        if rows <= fewRowsLimit, !checkFinite, let half = b.halfRows {
            halfDotColumns(
                rows: rows, columns: columns, depth: depth, a: a, lda: lda, weights: half.bits, isBFloat16: half.isBFloat16,
                bias: bias, c: c, ldc: ldc, threads: workers, scratch: scratch, level: level)
            return nil
        }
        let needed = rows <= fewRowsLimit ? depth : level.kernels.columnGroup * blockDepth
        let slots = chunkSlots(threads: workers, chunksPerWorker: DecodeScratch.chunksPerWorker)
        let panels = scratch.fits(floats: needed, chunks: slots) ? scratch : DecodeScratch(floats: needed, slots: slots)
        panels.resetFindings()
        let sharedA = SendablePointer(a), sharedC = SendablePointer(c)
        let sharedBias = bias.map { SendablePointer($0) }
        if rows <= fewRowsLimit {
            forEachIndexedChunk(count: columns, threads: workers, chunksPerWorker: DecodeScratch.chunksPerWorker) { slot, range in
                decodedDotColumns(
                    range, rows: rows, depth: depth, a: sharedA.readOnly, lda: lda, b: b, bias: sharedBias?.readOnly,
                    c: sharedC.base, ldc: ldc, scratch: panels, slot: slot, checkFinite: checkFinite, level: level)
            }
            return checkFinite ? panels.firstFinding() : nil
        }
        let panelWidth = level.kernels.panelWidth
        let panelCount = (rows + panelWidth - 1) / panelWidth
        let packed = UnsafeMutablePointer<Float>.allocate(capacity: panelCount * panelWidth * max(depth, 1))
        defer { packed.deallocate() }
        level.kernels.packPanels(a, lda: lda, rows: rows, depth: depth, into: packed)
        let sharedPacked = SendablePointer(packed)
        forEachIndexedChunk(count: columns, threads: workers, granularity: tileRows, chunksPerWorker: DecodeScratch.chunksPerWorker) { slot, range in
            decodedColumns(
                range, rows: rows, depth: depth, blockDepth: blockDepth, packed: sharedPacked.readOnly, b: b,
                bias: sharedBias?.readOnly, c: sharedC.base, ldc: ldc, scratch: panels, slot: slot, checkFinite: checkFinite,
                level: level)
        }
        return checkFinite ? panels.firstFinding() : nil
    }

    /// The reduction block of the decoding kernel: `reductionBlock` (as the float kernel, so the
    /// sums match) when the encoding's granule divides it, else the next multiple of the granule.
    static func decodedBlockDepth(granule: Int) -> Int {
        let unit = max(1, granule)
        return reductionBlock % unit == 0 ? reductionBlock : (reductionBlock / unit + 1) * unit
    }

    /// `multiplyColumns` with the `B` rows of each column group decoded into the slot's panel once
    /// per reduction block (`columnGroup × blockDepth` floats, L2-sized) and reused by every row
    /// group; the same column groups, blocks, row groups, tiles and final `storeTransposed`, so the
    /// sums are the float kernel's bit for bit.
    static func decodedColumns(
        _ columnRange: Range<Int>, rows: Int, depth: Int, blockDepth: Int, packed: UnsafePointer<Float>, b: StoredMatrix,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
        scratch: DecodeScratch, slot: Int, checkFinite: Bool, level: KernelLevel
    ) {
        let kernels = level.kernels
        let panelWidth = kernels.panelWidth, group = kernels.columnGroup
        let paddedRows = (rows + panelWidth - 1) / panelWidth * panelWidth + panelWidth  // as `multiplyColumns`
        let sums = UnsafeMutablePointer<Float>.allocate(capacity: group * paddedRows)
        defer { sums.deallocate() }
        let panel = scratch.panel(slot)
        var groupStart = columnRange.lowerBound
        while groupStart < columnRange.upperBound {
            let groupEnd = min(groupStart + group, columnRange.upperBound)
            sums.update(repeating: 0, count: (groupEnd - groupStart) * paddedRows)
            var blockStart = 0
            while blockStart < depth {
                let width = min(blockDepth, depth - blockStart)
                let segment = blockStart..<(blockStart + width)
                for column in groupStart..<groupEnd {
                    let target = panel + (column - groupStart) * width
                    b.decode(row: column, columns: segment, into: target, kernel: .simd, level: level)
                    if checkFinite {
                        scratch.check(target, count: width, firstIndex: column * depth + blockStart, slot: slot)
                    }
                }
                var rowStart = 0
                while rowStart < rows {
                    let rowEnd = min(rows, rowStart + kernels.rowGroup)
                    var column = groupStart
                    while column < groupEnd {
                        let tileColumns = min(tileRows, groupEnd - column)
                        var panelStart = rowStart
                        while panelStart < rowEnd {
                            kernels.tile(
                                weightRows: tileColumns, depth: width, weights: panel + (column - groupStart) * width, ldb: width,
                                panel: packed + panelStart * depth + blockStart * panelWidth,
                                sums: sums + (column - groupStart) * paddedRows + panelStart, sumStride: paddedRows)
                            panelStart += panelWidth
                        }
                        column += tileColumns
                    }
                    rowStart = rowEnd
                }
                blockStart += width
            }
            kernels.storeTransposed(
                sums, sumStride: paddedRows, columns: groupEnd - groupStart, rows: rows,
                bias: bias.map { $0 + groupStart }, c: c + groupStart, ldc: ldc)
            groupStart = groupEnd
        }
    }

    /// `dotColumns` with each `B` row decoded whole into the slot's panel first.
    static func decodedDotColumns(
        _ columnRange: Range<Int>, rows: Int, depth: Int, a: UnsafePointer<Float>, lda: Int, b: StoredMatrix,
        bias: UnsafePointer<Float>?, c: UnsafeMutablePointer<Float>, ldc: Int,
        scratch: DecodeScratch, slot: Int, checkFinite: Bool, level: KernelLevel
    ) {
        let kernels = level.kernels
        let weights = scratch.panel(slot)
        for column in columnRange {
            b.decode(row: column, columns: 0..<depth, into: weights, kernel: .simd, level: level)
            if checkFinite { scratch.check(weights, count: depth, firstIndex: column * depth, slot: slot) }
            for row in 0..<rows {
                c[row * ldc + column] = kernels.dot(a + row * lda, weights, count: depth) + (bias?[column] ?? 0)
            }
        }
    }

    /// The plain twin: each `B` row decoded with the scalar decoders, then summed in `i` order
    /// in `Float` as `multiplyTransposedScalar` does. No threads, no checks.
    public static func multiplyTransposedStoredScalar(
        rows: Int, columns: Int, depth: Int,
        a: UnsafePointer<Float>, lda: Int,
        b: StoredMatrix,
        bias: UnsafePointer<Float>?,
        c: UnsafeMutablePointer<Float>, ldc: Int
    ) throws {
        guard b.rows == columns, b.columns == depth else {
            throw ReferenceError.sizeMismatch("product of depth \(depth) into \(columns) columns with a \(b.rows)×\(b.columns) weight")
        }
        var row = [Float](repeating: 0, count: max(depth, 1))
        row.withUnsafeMutableBufferPointer { buffer in
            guard let weights = buffer.baseAddress else { return }
            for column in 0..<columns {
                b.decode(row: column, columns: 0..<depth, into: weights, kernel: .scalar)
                for s in 0..<rows {
                    var sum: Float = 0
                    for i in 0..<depth { sum += a[s * lda + i] * weights[i] }
                    c[s * ldc + column] = sum + (bias?[column] ?? 0)
                }
            }
        }
    }
}
