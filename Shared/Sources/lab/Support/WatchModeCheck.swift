import Foundation
import LabKit

/// A stage of `./lab test`: watch mode in the background (`./lab up 01 --detach`, what a Codespace runs) must
/// outlive its server. A server killed after running a while is started again; a server that exits at
/// start-up (a learner's code can compile and still crash) leaves watch mode running, saying why, and
/// `./lab status` says so instead of "running". Not a `swift test`: watch mode builds, and `swift test`
/// holds the build folder's lock.
struct WatchModeCheck {
    let paths: LabPaths

    /// Returns 0 when both checks passed, 1 otherwise (the stage's exit status).
    func run() async throws -> Int32 {
        let scenario = try Scenario.find("01", in: self.paths)
        let lab = self.paths.scratch.appendingPathComponent("release/lab").path
        var failures: [String] = []
        func check(_ ok: Bool, _ what: String) {
            say("\(ok ? "✓" : "✗") \(what)")
            if !ok { failures.append(what) }
        }
        _ = await stopScenario(scenario, paths: self.paths)

        // 1. A server killed after running for a while comes back by itself.
        try await Shell.run([lab, "up", "01", "--detach"], in: self.paths.root)
        try await Task.sleep(for: .seconds(11))
        let watch = DetachedWatch.process(scenario, paths: self.paths).running()?.pid ?? 0
        let server = Self.children(of: watch).first
        check(server != nil, "watch mode (pid \(watch)) runs a server")
        if let server { kill(server, SIGKILL) }
        let back = try await Self.waitForHealth(port: scenario.manifest.port, seconds: 40)
        check(back, "after kill -9 of the server (pid \(server ?? 0)), watch mode started it again and it answers /health")
        _ = await stopScenario(scenario, paths: self.paths)

        // 2. A server that exits at start-up: watch mode keeps watching and says why.
        var environment = ProcessInfo.processInfo.environment
        environment["LOG_LEVEL"] = "not-a-level"  // the server refuses to start with a configuration error
        let watchProcess = DetachedWatch.process(scenario, paths: self.paths)
        _ = try watchProcess.start([lab, "watch", "01"], environment: environment, tag: "server", in: self.paths.root)
        var state: String?
        for _ in 0..<120 where state?.contains("did not start") != true {
            try await Task.sleep(for: .milliseconds(500))
            state = WatchState(scenario: scenario, paths: self.paths).read()
        }
        check(watchProcess.running() != nil, "watch mode still runs after its server exited at start-up")
        check(state?.contains("did not start") == true, "watch mode's state says so: \(state ?? "nothing recorded")")
        let status = try await Shell.capture([lab, "status"], in: self.paths.root).text
        check(status.contains("did not start"), "./lab status says the server did not start (not just \"running\")")
        check(watchProcess.logTail(lines: 10_000).contains("log.level"), "watch mode's log shows the server's own error")
        _ = await stopScenario(scenario, paths: self.paths)
        return failures.isEmpty ? 0 : 1
    }

    /// The processes whose parent is `pid`.
    static func children(of pid: Int32) -> [Int32] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { child in
            // /proc/<pid>/stat: "pid (name) state ppid ..."; the name may hold spaces, so read after the ")".
            guard let stat = try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")")
            else { return false }
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            return fields.count > 1 && Int32(fields[1]) == pid
        }
    }

    static func waitForHealth(port: Int, seconds: Int) async throws -> Bool {
        for _ in 0..<(seconds * 4) {
            if ServerProcess.healthStatus(port: port) == 200 { return true }
            try await Task.sleep(for: .milliseconds(250))
        }
        return false
    }
}
