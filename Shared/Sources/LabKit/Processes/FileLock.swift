import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock(2)` on a file, held while a piece of setup runs, so two lab processes (or two test
/// suites running in parallel in one process) that both find PostgreSQL not set up yet do not both run
/// `initdb` into the same folder. flock locks belong to an open file, so two opens in one process exclude each
/// other too; the kernel drops the lock when the process dies, so a crash never leaves the lab locked.
public struct FileLock: Sendable {
    public let url: URL

    public init(_ url: URL) { self.url = url }

    /// Runs `body` holding the lock; waits (polling, without blocking a thread of Swift's small pool) for
    /// another holder to finish first.
    public func withLock<T>(_ body: () async throws -> T) async throws -> T {
        let descriptor = try self.open()
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else { throw self.error("lock") }
            try await Task.sleep(for: .milliseconds(50))
        }
        defer { flock(descriptor, LOCK_UN) }
        return try await body()
    }

    private func open() throws -> Int32 {
        try FileManager.default.createDirectory(at: self.url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let descriptor = Glibc.open(self.url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw self.error("open") }
        return descriptor
    }

    private func error(_ what: String) -> LabError {
        LabError("could not \(what) \(self.url.path): \(String(cString: strerror(errno)))")
    }
}
