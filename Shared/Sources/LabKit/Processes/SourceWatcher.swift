import Foundation

/// Notices when a file under a folder changes, by polling modification times twice a second.
///
/// Polling rather than inotify: it works the same on Linux, macOS and in a Codespace's mounted workspace,
/// needs no extra package, and a scenario's `Sources/` holds a handful of files.
public struct SourceWatcher: Sendable {
    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// Path → modification time of every regular file under ``folder``.
    public func snapshot() -> [String: Date] {
        var result: [String: Date] = [:]
        guard
            let enumerator = FileManager.default.enumerator(
                at: self.folder,
                includingPropertiesForKeys: [.contentModificationDateKey, .isRegularFileKey]
            )
        else { return result }
        for case let url as URL in enumerator {
            let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .isRegularFileKey])
            guard values?.isRegularFile == true, !url.lastPathComponent.hasPrefix(".") else { continue }
            result[url.path] = values?.contentModificationDate ?? .distantPast
        }
        return result
    }

    /// Waits until the files differ from `previous`, then returns the new snapshot (after a short pause so an
    /// editor that writes in several steps is seen as one save). Returns nil if `shouldStop` becomes true.
    public func waitForChange(from previous: [String: Date], shouldStop: @Sendable () -> Bool) async -> [String: Date]? {
        while !shouldStop() {
            try? await Task.sleep(for: .milliseconds(500))
            let current = self.snapshot()
            if current != previous {
                try? await Task.sleep(for: .milliseconds(200))
                return self.snapshot()
            }
        }
        return nil
    }
}
