import Foundation

/// A directory built under a temporary name next to its destination and renamed into place by
/// `commit()`. Uncommitted, it is deleted on deinit (and by the SIGINT cleanup), so a failed or
/// interrupted conversion leaves nothing behind.
public final class OutputDirectory {
    /// Final path.
    public let path: String
    /// Temporary directory being filled.
    public let temporaryPath: String
    private let replaceExisting: Bool
    private var committed = false

    /// Creates the temporary directory. An existing `path` is an error unless `replaceExisting`.
    public init(path: String, replaceExisting: Bool) throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: path) && !replaceExisting {
            throw CoreError.alreadyExists(path: path)
        }
        let url = URL(fileURLWithPath: path).standardizedFileURL
        let parent = url.deletingLastPathComponent().path
        guard manager.fileExists(atPath: parent) else {
            throw CoreError.cannotOpen(path: path, reason: "parent directory \(parent) does not exist")
        }
        let temporary = parent + "/." + url.lastPathComponent + ".tmp-\(ProcessInfo.processInfo.processIdentifier)"
        try? manager.removeItem(atPath: temporary)
        do {
            try manager.createDirectory(atPath: temporary, withIntermediateDirectories: false)
        } catch {
            throw CoreError.writeFailed(path: temporary, reason: "cannot create directory: \(error.localizedDescription)")
        }
        self.path = url.path
        self.temporaryPath = temporary
        self.replaceExisting = replaceExisting
        TemporaryFileRegistry.shared.register(temporary)
    }

    deinit {
        if !committed { try? FileManager.default.removeItem(atPath: temporaryPath) }
        TemporaryFileRegistry.shared.unregister(temporaryPath)
    }

    /// A path inside the temporary directory.
    public func file(_ name: String) -> String { temporaryPath + "/" + name }

    /// Renames the finished directory into place (replacing an existing one when allowed). An
    /// existing output is first moved aside and registered as displaced, and the two renames run
    /// with the signal cleanup held off, so an interrupt leaves the old output or the new one,
    /// never neither; the displaced old output is deleted last (by the cleanup if interrupted).
    public func commit() throws {
        let manager = FileManager.default
        let registry = TemporaryFileRegistry.shared
        let displaced: String? = try registry.holdingCleanup {
            var aside: String?
            if manager.fileExists(atPath: path) {
                guard replaceExisting else { throw CoreError.alreadyExists(path: path) }
                let candidate = temporaryPath + ".old"
                try? manager.removeItem(atPath: candidate)
                do {
                    try manager.moveItem(atPath: path, toPath: candidate)
                } catch {
                    throw CoreError.renameFailed(from: path, to: candidate, reason: error.localizedDescription)
                }
                registry.registerDisplaced(candidate, restoringTo: path)
                aside = candidate
                Self.testPauseInSwap()
            }
            do {
                try manager.moveItem(atPath: temporaryPath, toPath: path)
            } catch {
                if let aside {
                    try? manager.moveItem(atPath: aside, toPath: path)
                    registry.unregisterDisplaced(aside)
                }
                throw CoreError.renameFailed(from: temporaryPath, to: path, reason: error.localizedDescription)
            }
            committed = true
            registry.unregister(temporaryPath)
            if let aside {
                // The new output is in place: the old one is now only a leftover to delete.
                registry.unregisterDisplaced(aside)
                registry.register(aside)
            }
            return aside
        }
        if let displaced {
            try? manager.removeItem(atPath: displaced)
            registry.unregister(displaced)
        }
    }

    /// Test seam: `MPTKIT_TEST_SWAP_PAUSE_MS=N` sleeps N ms between moving the old output aside
    /// and renaming the new one in, so a test can interrupt exactly there.
    private static func testPauseInSwap() {
        guard let text = ProcessInfo.processInfo.environment["MPTKIT_TEST_SWAP_PAUSE_MS"],
              let milliseconds = UInt32(text), milliseconds <= 60_000 else { return }
        // A signal may cut one sleep short: sleep until the whole pause has passed.
        let clock = ContinuousClock()
        let deadline = clock.now + .milliseconds(Int(milliseconds))
        while clock.now < deadline { usleep(1000) }
    }
}
