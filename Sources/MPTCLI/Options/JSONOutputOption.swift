import ArgumentParser

/// `--json`: print the result as JSON instead of text.
public struct JSONOutputOption: ParsableArguments, Sendable {
    @Flag(help: "Print the result as JSON instead of text.")
    public var json = false

    public init() {}
}
