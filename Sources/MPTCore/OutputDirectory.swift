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

    /// Renames the finished directory into place (replacing an existing one when allowed).
    public func commit() throws {
        let manager = FileManager.default
        var displaced: String?
        if manager.fileExists(atPath: path) {
            guard replaceExisting else { throw CoreError.alreadyExists(path: path) }
            let aside = temporaryPath + ".old"
            try? manager.removeItem(atPath: aside)
            try manager.moveItem(atPath: path, toPath: aside)
            displaced = aside
        }
        do {
            try manager.moveItem(atPath: temporaryPath, toPath: path)
        } catch {
            if let displaced { try? manager.moveItem(atPath: displaced, toPath: path) }
            throw CoreError.renameFailed(from: temporaryPath, to: path, reason: error.localizedDescription)
        }
        committed = true
        if let displaced { try? manager.removeItem(atPath: displaced) }
    }
}
