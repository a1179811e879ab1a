/// Decoding of single scalars from UTF-8 known to be valid (it came from a `String`); a
/// malformed sequence decodes as U+FFFD of length 1 so no input can trap.
enum UTF8Scalars {
    /// The scalar starting at `index` and its length in bytes.
    @inline(__always)
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> (scalar: Unicode.Scalar, length: Int) {
        let lead = bytes[index]
        if lead < 0x80 { return (Unicode.Scalar(lead), 1) }
        let remaining = bytes.count - index
        var value: UInt32
        let length: Int
        if lead >= 0xF0 { value = UInt32(lead & 0x07); length = 4 }
        else if lead >= 0xE0 { value = UInt32(lead & 0x0F); length = 3 }
        else if lead >= 0xC0 { value = UInt32(lead & 0x1F); length = 2 }
        else { return ("\u{FFFD}", 1) }
        guard length <= remaining else { return ("\u{FFFD}", 1) }
        for offset in 1..<length {
            let byte = bytes[index + offset]
            guard byte & 0xC0 == 0x80 else { return ("\u{FFFD}", 1) }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return ("\u{FFFD}", 1) }
        return (scalar, length)
    }

    /// The scalar that ends just before `end` (which must be a scalar boundary > 0).
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, endingAt end: Int) -> Unicode.Scalar {
        var start = end - 1
        while start > 0, end - start < 4, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        return decode(bytes, at: start).scalar
    }
}
