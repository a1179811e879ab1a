import CZlib
import MPTCore

extension ZipArchive {
    /// The uncompressed bytes of `entry`: a zero-copy slice for stored entries, a new in-memory
    /// buffer for deflated ones (refused when the declared size is over the inflate cap, when the
    /// stream inflates past the declared size, or when the CRC-32 does not match).
    public func contents(of entry: ZipEntry) throws -> ZipEntryBytes {
        switch entry.method {
        case .stored:
            let bytes = ZipEntryBytes(storage: storage, offset: entry.dataOffset, count: entry.uncompressedSize)
            if limits.verifyStoredChecksums { try Self.verifyChecksum(of: bytes, entry: entry) }
            return bytes
        case .deflated:
            guard entry.uncompressedSize <= limits.maxInflatedEntrySize else {
                throw ZipError.inflatedSizeOverCap(entry: entry.name, declared: entry.uncompressedSize, cap: limits.maxInflatedEntrySize)
            }
            // Deflate cannot expand more than 1032:1, so a larger declared size is a lie: refuse
            // it before allocating (a few hundred bytes must not reserve gigabytes).
            let (ratioBound, overflow) = entry.compressedSize.multipliedReportingOverflow(by: ZipInflater.maxExpansion)
            guard overflow || entry.uncompressedSize - ZipInflater.expansionSlack <= ratioBound else {
                throw ZipError.declaredSizeBeyondDeflateRatio(entry: entry.name, compressed: entry.compressedSize, declared: entry.uncompressedSize)
            }
            if entry.uncompressedSize == 0 {
                // Still run the stream: an "empty" entry must not hide a payload.
                try storage.withBytes(offset: entry.dataOffset, length: entry.compressedSize) { input in
                    try ZipInflater.inflate(input, into: UnsafeMutableRawBufferPointer(start: nil, count: 0), entry: entry.name)
                }
            }
            let inflated = try ByteStorage(count: entry.uncompressedSize, origin: "\(storage.origin)!\(entry.name)") { output in
                try storage.withBytes(offset: entry.dataOffset, length: entry.compressedSize) { input in
                    try ZipInflater.inflate(input, into: output, entry: entry.name)
                }
            }
            let bytes = ZipEntryBytes(storage: inflated, offset: 0, count: entry.uncompressedSize)
            try Self.verifyChecksum(of: bytes, entry: entry)
            return bytes
        }
    }

    /// The uncompressed bytes of the entry called `name`.
    public func contents(ofEntryNamed name: String) throws -> ZipEntryBytes {
        guard let entry = entry(named: name) else { throw ZipError.missingEntry(name) }
        return try contents(of: entry)
    }

    /// Checks the CRC-32 of `entry` (inflating it first if deflated).
    public func verifyChecksum(of entry: ZipEntry) throws {
        let bytes = try contents(of: entry)
        if entry.method == .stored, !limits.verifyStoredChecksums { try Self.verifyChecksum(of: bytes, entry: entry) }
    }

    private static func verifyChecksum(of bytes: ZipEntryBytes, entry: ZipEntry) throws {
        let actual = try bytes.storage.withBytes(offset: bytes.offset, length: bytes.count) { ZipInflater.crc32(of: $0) }
        guard actual == entry.crc32 else {
            throw ZipError.checksumMismatch(entry: entry.name, expected: entry.crc32, actual: actual)
        }
    }
}

/// Raw-deflate decoding and CRC-32 through the system zlib.
enum ZipInflater {
    /// Largest ratio of inflated to deflated bytes (zlib's documented 1032:1 bound).
    static let maxExpansion = 1032
    /// Bytes allowed on top of the ratio (block headers of tiny streams).
    static let expansionSlack = 1024
    /// zlib counts in `UInt32`; larger buffers are fed in chunks of this size.
    private static let chunk = 1 << 30

    /// Inflates the raw deflate stream `input` into exactly `output.count` bytes; a stream that
    /// would produce more is refused before any byte is written past the buffer.
    static func inflate(_ input: UnsafeRawBufferPointer, into output: UnsafeMutableRawBufferPointer, entry: String) throws {
        var stream = z_stream()
        let initStatus = inflateInit2_(&stream, -15, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else { throw ZipError.inflateFailed(entry: entry, reason: "inflateInit2 returned \(initStatus)") }
        defer { inflateEnd(&stream) }
        var inputUsed = 0
        var outputUsed = 0
        while true {
            if stream.avail_in == 0, inputUsed < input.count, let base = input.baseAddress {
                let take = min(chunk, input.count - inputUsed)
                stream.next_in = UnsafeMutablePointer(mutating: (base + inputUsed).assumingMemoryBound(to: Bytef.self))
                stream.avail_in = uInt(take)
                inputUsed += take
            }
            if stream.avail_out == 0, outputUsed < output.count, let base = output.baseAddress {
                let give = min(chunk, output.count - outputUsed)
                stream.next_out = (base + outputUsed).assumingMemoryBound(to: Bytef.self)
                stream.avail_out = uInt(give)
                outputUsed += give
            }
            let inputExhausted = stream.avail_in == 0 && inputUsed == input.count
            if stream.avail_out == 0 {
                // Every declared byte is written: one more byte of output would mean a zip bomb.
                var probe: UInt8 = 0
                let (status, overran) = withUnsafeMutablePointer(to: &probe) { pointer -> (Int32, Bool) in
                    stream.next_out = pointer
                    stream.avail_out = 1
                    let status = CZlib.inflate(&stream, Z_NO_FLUSH)
                    let overran = stream.avail_out == 0
                    stream.next_out = nil
                    stream.avail_out = 0
                    return (status, overran)
                }
                if overran { throw ZipError.inflatedPastDeclaredSize(entry: entry, declared: output.count) }
                switch status {
                case Z_STREAM_END: return
                case Z_OK where !inputExhausted || stream.avail_in > 0: continue
                case Z_OK, Z_BUF_ERROR: throw ZipError.inflatedShort(entry: entry, declared: output.count, produced: output.count)
                default: throw failure(status, stream: stream, entry: entry)
                }
            }
            let status = CZlib.inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_STREAM_END:
                let produced = outputUsed - Int(stream.avail_out)
                guard produced == output.count else {
                    throw ZipError.inflatedShort(entry: entry, declared: output.count, produced: produced)
                }
                return
            case Z_OK:
                continue
            case Z_BUF_ERROR where stream.avail_in == 0 && inputUsed == input.count:
                throw ZipError.inflatedShort(entry: entry, declared: output.count, produced: outputUsed - Int(stream.avail_out))
            default:
                throw failure(status, stream: stream, entry: entry)
            }
        }
    }

    private static func failure(_ status: Int32, stream: z_stream, entry: String) -> ZipError {
        let message = stream.msg.map { String(cString: $0) } ?? "zlib status \(status)"
        return .inflateFailed(entry: entry, reason: message)
    }

    /// CRC-32 (the zip/zlib polynomial) of `bytes`.
    static func crc32(of bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = CZlib.crc32(0, nil, 0)
        guard let base = bytes.baseAddress else { return UInt32(crc) }
        var done = 0
        while done < bytes.count {
            let take = min(chunk, bytes.count - done)
            crc = CZlib.crc32(crc, (base + done).assumingMemoryBound(to: Bytef.self), uInt(take))
            done += take
        }
        return UInt32(crc)
    }
}
