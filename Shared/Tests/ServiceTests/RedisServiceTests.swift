import Foundation
import LabKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `redis` service kind against a real `redis-server` (Debian's `redis-server` package): each test makes
/// a scenario of its own that declares one, on a free port.
@Suite("The redis service kind (needs redis-server)", .serialized)
struct RedisServiceTests {
    static let config = """
        # What a scenario's redis.conf sets: the lesson's memory limit and policy, no persistence.
        maxmemory 8mb
        maxmemory-policy allkeys-lru
        save ""
        appendonly no
        """

    func scenario(port: Int) throws -> TemporaryScenario {
        try TemporaryScenario(
            services: #"[{"kind": "redis", "port": \#(port), "config": "redis.conf", "options": {"exporter": "off"}}]"#,
            files: ["redis.conf": Self.config]
        )
    }

    func redis(_ scenario: TemporaryScenario) throws -> RedisService {
        try #require(try scenario.services.all.first as? RedisService)
    }

    @Test("starts with the scenario's config on its port, answers, says so in status, stops")
    func startAndStop() async throws {
        let scenario = try self.scenario(port: TemporaryScenario.freePort())
        defer { Task { await scenario.remove() } }
        let redis = try self.redis(scenario)
        let line = try await redis.start(build: false)
        #expect(line.contains("started Redis on 127.0.0.1:\(redis.port) with redis.conf"), "\(line)")
        #expect(try redis.command(["PING"]) == "PONG")
        let info = try redis.info()
        #expect(info["maxmemory"] == String(8 * 1024 * 1024), "the scenario's config is used: \(info["maxmemory"] ?? "none")")
        #expect(info["maxmemory_policy"] == "allkeys-lru")
        #expect(redis.status().contains("running on 127.0.0.1:\(redis.port)"))
        #expect(try await redis.start(build: false).contains("already running"), "starting twice keeps the running one")
        #expect(await redis.stop() != nil)
        #expect(!LocalHTTP.isListening(port: redis.port))
        #expect(redis.status().hasSuffix("stopped"))
        #expect(redis.learnerFiles == ["redis.conf"], "./lab reset restores the config the learner edits")
    }

    @Test("an edited redis.conf reaches a Redis that is already running (Docker Compose's, or one left running)")
    func editedConfigIsApplied() async throws {
        let scenario = try self.scenario(port: TemporaryScenario.freePort())
        defer { Task { await scenario.remove() } }
        let redis = try self.redis(scenario)
        _ = try await redis.start(build: false)
        let edited = Self.config.replacingOccurrences(of: "allkeys-lru", with: "volatile-lru").replacingOccurrences(of: "8mb", with: "4mb")
        try edited.write(to: scenario.scenario.file("redis.conf"), atomically: true, encoding: .utf8)
        let line = try await redis.start(build: false)
        #expect(line.contains("redis.conf applied (maxmemory 4mb, maxmemory-policy volatile-lru, save , appendonly no)"), "\(line)")
        #expect(try redis.info()["maxmemory_policy"] == "volatile-lru")
        #expect(try redis.info()["maxmemory"] == String(4 * 1024 * 1024))
        try (edited + "\nmaxmemory-policy sometimes-lru\n").write(to: scenario.scenario.file("redis.conf"), atomically: true, encoding: .utf8)
        await #expect(throws: LabError.self, "a setting Redis refuses names the line") { try await redis.start(build: false) }
        _ = await redis.stop()
    }

    @Test("after a crash (kill -9) it is seen as stopped, and starts again")
    func restartAfterCrash() async throws {
        let scenario = try self.scenario(port: TemporaryScenario.freePort())
        defer { Task { await scenario.remove() } }
        let redis = try self.redis(scenario)
        _ = try await redis.start(build: false)
        let pid = try #require(redis.process.running()?.pid)
        kill(pid, SIGKILL)
        for _ in 0..<100 where redis.process.running() != nil { try await Task.sleep(for: .milliseconds(50)) }
        #expect(redis.status().hasSuffix("stopped"), "a dead process is not reported as running")
        // A killed process loses its command line before the kernel closes its sockets: wait for the port too,
        // or the restart below races the kernel (seen once in CI: "port ... is already in use").
        for _ in 0..<100 where ServerProcess.isListening(port: redis.port) { try await Task.sleep(for: .milliseconds(50)) }
        #expect(try await redis.start(build: false).contains("started Redis"))
        #expect(try redis.command(["PING"]) == "PONG")
        _ = await redis.stop()
    }

    @Test("reset empties it: a reset scenario starts with a cold cache")
    func resetEmpties() async throws {
        let scenario = try self.scenario(port: TemporaryScenario.freePort())
        defer { Task { await scenario.remove() } }
        let redis = try self.redis(scenario)
        _ = try await redis.start(build: false)
        _ = try redis.command(["SET", "trending", "cached page"])
        #expect(try redis.command(["GET", "trending"]) == "cached page")
        #expect(try await redis.reset() != nil)
        #expect(try redis.command(["GET", "trending"]) == "")
        _ = await redis.stop()
    }

    @Test("a port in use is a clear error that names the port, and nothing is left half-started")
    func portInUse() async throws {
        let port = TemporaryScenario.freePort()
        let first = try self.scenario(port: port)
        let second = try self.scenario(port: port)
        defer {
            Task {
                await first.remove()
                await second.remove()
            }
        }
        _ = try await self.redis(first).start(build: false)
        let other = try self.redis(second)
        await #expect(throws: LabError.self) { _ = try await other.start(build: false) }
        do {
            _ = try await other.start(build: false)
        } catch let error as LabError {
            #expect(error.description.contains("port \(port)"), "\(error)")
        }
        #expect(other.process.running() == nil)
        _ = await (try self.redis(first)).stop()
    }

    @Test("external mode (Docker Compose runs it): the lab only waits until it answers")
    func externalMode() async throws {
        let port = TemporaryScenario.freePort()
        let compose = try self.scenario(port: port)  // stands in for the Compose container
        let lab = try self.scenario(port: port)
        defer {
            Task {
                await compose.remove()
                await lab.remove()
            }
        }
        let waiting = Task { try await self.redis(lab).waitForExternal(timeout: .seconds(30)) }
        try await Task.sleep(for: .milliseconds(500))
        _ = try await self.redis(compose).start(build: false)
        #expect(try await waiting.value.contains("answers on 127.0.0.1:\(port)"))
        #expect(try self.redis(lab).process.running() == nil, "the lab started nothing of its own")
        await #expect(throws: LabError.self) {
            _ = try await self.redis(try self.scenario(port: TemporaryScenario.freePort())).waitForExternal(timeout: .milliseconds(500))
        }
        _ = await (try self.redis(compose)).stop()
    }
}
