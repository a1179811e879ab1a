import ArgumentParser
import MPTQuant

/// `--no-sync`: skip the fsync before each output file is renamed into place.
public struct SyncOption: ParsableArguments, Sendable {
    @Flag(help: "Skip the fsync before each output file is renamed into place (faster; a crash right after may lose the output).")
    public var noSync = false

    public init() {}

    /// The durability this asks for.
    public var durability: Durability { noSync ? .unsynced : .durable }
}
