import Foundation

/// Unicode NFC normalization of UTF-8 text (HF's `NFC` normalizer).
///
/// Text is cut before every ASCII byte: an ASCII character is a starter that never composes
/// with what precedes it, so NFC of the whole equals the concatenation of NFC of the pieces.
/// A piece whose scalars are all "inert" (combining class 0, NFC-stable, never the second half
/// of a composition — checked for the listed ranges against the Unicode data) is already NFC
/// and is copied; only the other pieces go through Foundation (canonical decomposition, then composition).
enum UnicodeNFC {
    /// `bytes` in NFC, or `nil` when they already are.
    static func normalize(_ bytes: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var output: [UInt8] = []
        var copiedUpTo = 0
        var segmentStart = 0
        var segmentNeedsWork = false
        var index = 0
        let count = bytes.count
        func flush(upTo end: Int) {
            if output.capacity == 0 { output.reserveCapacity(count + 16) }
            output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo..<segmentStart]))
            let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[segmentStart..<end]), as: UTF8.self)
            // Decompose first: Foundation's composition alone leaves e.g. a precomposed Hangul LV
            // syllable followed by a trailing jamo uncomposed (NFD then NFC matches Python/Rust).
            output.append(contentsOf: text.decomposedStringWithCanonicalMapping.precomposedStringWithCanonicalMapping.utf8)
            copiedUpTo = end
        }
        while index < count {
            let byte = bytes[index]
            if byte < 0x80 {
                if segmentNeedsWork { flush(upTo: index); segmentNeedsWork = false }
                segmentStart = index
                index += 1
            } else if byte < 0xCC {
                index += 1 // a scalar below U+0300, possibly a continuation byte
            } else {
                let decoded = UTF8Scalars.decode(bytes, at: index)
                if !isInert(decoded.scalar.value) { segmentNeedsWork = true }
                index += decoded.length
            }
        }
        if segmentNeedsWork { flush(upTo: count) }
        guard copiedUpTo > 0 else { return nil }
        output.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[copiedUpTo..<count]))
        return output
    }

    /// Scalars that NFC leaves alone in any context.
    @inline(__always)
    private static func isInert(_ value: UInt32) -> Bool {
        switch value {
        case 0..<0x300, 0x400..<0x483, 0x900..<0x93C, 0x3041..<0x3097, 0x30A1..<0x30FB, 0x3400..<0x4DC0,
             0x4E00..<0xA000, 0xAC00..<0xD7A4, 0x1F300..<0x1FB00:
            return true
        default:
            return false
        }
    }
}
