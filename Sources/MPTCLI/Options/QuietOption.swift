import ArgumentParser

/// `--quiet`: no progress line (it is shown only on a terminal anyway).
public struct QuietOption: ParsableArguments, Sendable {
    @Flag(help: "Do not show the progress line (shown only when standard error is a terminal).")
    public var quiet = false

    public init() {}
}
