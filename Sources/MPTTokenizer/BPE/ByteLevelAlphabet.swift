/// GPT-2's byte-level alphabet: every byte 0…255 is shown as one printable Unicode scalar so
/// that BPE vocabularies can be stored as text. Printable Latin-1 bytes (`!`…`~`, `¡`…`¬`,
/// `®`…`ÿ`) stand for themselves; the other 68 bytes map, in byte order, to U+0100…U+0143
/// (so the space 0x20 is `Ġ` U+0120 and the newline 0x0A is `Ċ` U+010A).
public enum ByteLevelAlphabet {
    /// The scalar that stands for each byte, indexed by the byte.
    public static let scalarForByte: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: "\u{0}", count: 256)
        var next: UInt32 = 256
        for byte in 0..<256 {
            if isPrintable(UInt8(byte)) {
                table[byte] = Unicode.Scalar(UInt8(byte))
            } else {
                table[byte] = Unicode.Scalar(next) ?? "\u{FFFD}"
                next += 1
            }
        }
        return table
    }()

    /// The byte a scalar of the alphabet stands for; `nil` for scalars outside the alphabet.
    public static func byte(for scalar: Unicode.Scalar) -> UInt8? {
        let value = scalar.value
        if value < 256 { return isPrintable(UInt8(value)) ? UInt8(value) : nil }
        guard value < 256 + 68 else { return nil }
        return nonPrintableBytes[Int(value - 256)]
    }

    /// The bytes a byte-level token stands for, or `nil` when one of its scalars is outside
    /// the alphabet (HF's decoder then keeps the token's own UTF-8 unchanged).
    public static func bytes(ofToken token: String) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(token.utf8.count)
        for scalar in token.unicodeScalars {
            guard let byte = byte(for: scalar) else { return nil }
            out.append(byte)
        }
        return out
    }

    /// The byte-level text of raw bytes.
    public static func text(of bytes: some Sequence<UInt8>) -> String {
        var scalars = String.UnicodeScalarView()
        for byte in bytes { scalars.append(scalarForByte[Int(byte)]) }
        return String(scalars)
    }

    private static func isPrintable(_ byte: UInt8) -> Bool {
        (0x21...0x7E).contains(byte) || (0xA1...0xAC).contains(byte) || (0xAE...0xFF).contains(byte)
    }

    private static let nonPrintableBytes: [UInt8] = (0..<256).compactMap { isPrintable(UInt8($0)) ? nil : UInt8($0) }
}
