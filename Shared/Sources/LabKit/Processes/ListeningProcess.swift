import Foundation

/// A program the lab runs in the background that serves on a port (Prometheus, an exporter, Redis, a
/// companion): started detached (``BackgroundProcess``), ready when the port accepts connections.
struct ListeningProcess: Sendable {
    let process: BackgroundProcess
    let port: Int

    /// Starts `arguments` and waits until the port accepts connections. On failure (it exits, or does not
    /// listen within `timeout`), it is killed and the error carries the last lines of its output.
    @discardableResult
    func start(
        _ arguments: [String],
        environment: [String: String]? = nil,
        tag: String = "",
        in directory: URL? = nil,
        timeout: Duration = .seconds(30)
    ) async throws -> ChildProcess {
        let child = try self.process.start(arguments, environment: environment, tag: tag, in: directory)
        let deadline = ContinuousClock.now + timeout
        while !LocalHTTP.isListening(port: self.port) {
            if child.exitStatusIfExited() != nil || ContinuousClock.now > deadline {
                _ = kill(child.pid, SIGKILL)
                self.process.forget()
                throw LabError(
                    "\(self.process.name) did not start on port \(self.port). Last lines of \(self.process.logFile.path):\n\(self.process.logTail())"
                )
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        return child
    }

    /// Fails with a message naming the port and how to find its owner when something already listens there.
    func ensurePortFree(what: String) throws {
        guard LocalHTTP.isListening(port: self.port) else { return }
        throw LabError(
            "port \(self.port), which \(what) needs, is already in use. `ss -ltnp | grep :\(self.port)` shows which program has it."
        )
    }
}
