import Foundation
import LabKit
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The `haproxy` service kind against Debian's real `haproxy`, in front of a stand-in instance (a few lines of
/// Python answering 200), each test on free ports.
@Suite("The haproxy service kind (needs haproxy)", .serialized)
struct HAProxyServiceTests {
    static func config(port: Int, instance: Int, stats: Int, extra: String = "") -> String {
        """
        global
            log stdout format raw local0 notice
        defaults
            mode http
            timeout connect 1s
            timeout client 5s
            timeout server 5s
        \(extra)
        frontend site
            bind 127.0.0.1:\(port)
            default_backend instances
        backend instances
            server a 127.0.0.1:\(instance)
        frontend stats
            bind 127.0.0.1:\(stats)
            http-request use-service prometheus-exporter if { path /metrics }
            stats enable
            stats uri /stats

        """  // HAProxy refuses a file whose last line has no line feed ("might have been truncated")
    }

    func scenario(config: String, port: Int, stats: Int) throws -> TemporaryScenario {
        try TemporaryScenario(
            services: #"[{"kind": "haproxy", "config": "haproxy.cfg", "port": \#(stats)}]"#,
            files: ["haproxy.cfg": config],
            port: port
        )
    }

    /// A stand-in instance: answers 200 "ok" to every GET.
    func instance(port: Int) throws -> ChildProcess {
        let script = """
            import http.server
            class H(http.server.BaseHTTPRequestHandler):
                def do_GET(self):
                    self.send_response(200); self.send_header('Content-Length', '3'); self.end_headers(); self.wfile.write(b'ok\\n')
                def log_message(self, *a): pass
            http.server.ThreadingHTTPServer(('127.0.0.1', \(port)), H).serve_forever()
            """
        return try ChildProcess.spawn(["python3", "-c", script], output: .file("/dev/null"))
    }

    @Test("starts with the scenario's file, proxies to the instance, serves its metrics, says so in status, stops")
    func startAndStop() async throws {
        let (port, instancePort, stats) = (TemporaryScenario.freePort(), TemporaryScenario.freePort(), TemporaryScenario.freePort())
        let backend = try self.instance(port: instancePort)
        defer {
            kill(backend.pid, SIGKILL)
            _ = backend.wait()
        }
        for _ in 0..<50 where !LocalHTTP.isListening(port: instancePort) { try await Task.sleep(for: .milliseconds(100)) }
        let scenario = try self.scenario(config: Self.config(port: port, instance: instancePort, stats: stats), port: port, stats: stats)
        defer { Task { await scenario.remove() } }
        let haproxy = try #require(try scenario.services.all.first as? HAProxyService)
        #expect(haproxy.startsAfterServer, "a load balancer starts after its instances")
        #expect(haproxy.learnerFiles == ["haproxy.cfg"], "./lab reset restores the config the learner edits")
        let line = try await haproxy.start(build: false)
        #expect(line.contains("HAProxy on http://127.0.0.1:\(port)"), "\(line)")
        #expect(line.contains("http://127.0.0.1:\(stats)/stats"))
        #expect(await LocalHTTP.get(port: port, path: "/health", timeoutSeconds: 2)?.status == 200)
        let metrics = try #require(await haproxy.metrics())
        #expect(metrics.sum("haproxy_backend_http_requests_total") >= 1, "its own Prometheus metrics count the request")
        #expect(haproxy.status().contains("running on http://127.0.0.1:\(port)"))
        #expect(try await haproxy.start(build: false).contains("already running"))
        #expect(await haproxy.stop() != nil)
        #expect(!LocalHTTP.isListening(port: port))
        #expect(haproxy.status().hasSuffix("stopped"))
    }

    @Test("a config HAProxy refuses is a clear error that quotes HAProxy and names the file; nothing is left running")
    func refusedConfig() async throws {
        let (port, stats) = (TemporaryScenario.freePort(), TemporaryScenario.freePort())
        // A learner's classic: http-request in an unnamed defaults section.
        let broken = Self.config(port: port, instance: TemporaryScenario.freePort(), stats: stats, extra: "    http-request deny if METH_POST")
        let scenario = try self.scenario(config: broken, port: port, stats: stats)
        defer { Task { await scenario.remove() } }
        let haproxy = try #require(try scenario.services.all.first as? HAProxyService)
        #expect(try haproxy.validate()?.contains("not allowed in anonymous 'defaults' section") == true)
        do {
            _ = try await haproxy.start(build: false)
            Issue.record("HAProxy started with a config it refuses")
        } catch let error as LabError {
            #expect(error.description.contains("HAProxy refuses haproxy.cfg"), "\(error)")
            #expect(error.description.contains("./lab reset"), "says how to get the shipped file back")
        }
        #expect(haproxy.process.running() == nil)
        #expect(!LocalHTTP.isListening(port: port))
    }

    @Test("a port in use is a clear error that names the port")
    func portInUse() async throws {
        let (port, stats) = (TemporaryScenario.freePort(), TemporaryScenario.freePort())
        let squatter = try self.instance(port: port)
        defer {
            kill(squatter.pid, SIGKILL)
            _ = squatter.wait()
        }
        for _ in 0..<50 where !LocalHTTP.isListening(port: port) { try await Task.sleep(for: .milliseconds(100)) }
        let scenario = try self.scenario(config: Self.config(port: port, instance: 1, stats: stats), port: port, stats: stats)
        defer { Task { await scenario.remove() } }
        let haproxy = try #require(try scenario.services.all.first as? HAProxyService)
        await #expect(throws: LabError.self) { try await haproxy.start(build: false) }
        do {
            _ = try await haproxy.start(build: false)
        } catch {
            #expect("\(error)".contains("port \(port)"), "\(error)")
        }
        #expect(haproxy.process.running() == nil)
    }
}
