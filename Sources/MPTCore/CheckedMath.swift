/// Overflow-checked arithmetic for numbers that came from a file.
public enum Checked {
    /// `a * b`, or `CoreError.arithmeticOverflow` naming `what`.
    @inlinable
    public static func multiply(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (value, overflow) = a.multipliedReportingOverflow(by: b)
        if overflow { throw CoreError.arithmeticOverflow(what()) }
        return value
    }

    /// `a + b`, or `CoreError.arithmeticOverflow` naming `what`.
    @inlinable
    public static func add(_ a: Int, _ b: Int, _ what: @autoclosure () -> String) throws -> Int {
        let (value, overflow) = a.addingReportingOverflow(b)
        if overflow { throw CoreError.arithmeticOverflow(what()) }
        return value
    }

    /// Converts an unsigned file value to `Int`, or throws.
    @inlinable
    public static func int(_ value: UInt64, _ what: @autoclosure () -> String) throws -> Int {
        guard let result = Int(exactly: value) else { throw CoreError.arithmeticOverflow(what()) }
        return result
    }

    /// Converts a signed 64-bit file value to `Int`, or throws.
    @inlinable
    public static func int(_ value: Int64, _ what: @autoclosure () -> String) throws -> Int {
        guard let result = Int(exactly: value) else { throw CoreError.arithmeticOverflow(what()) }
        return result
    }
}
