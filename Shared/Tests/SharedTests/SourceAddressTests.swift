import Foundation
import LabKit
import LoadTestKit
import Testing

/// Virtual users come from many loopback addresses, so a load balancer that picks the instance by the
/// client's address (nginx's `ip_hash`) spreads them as it would spread real users.
@Suite("Load tool users come from many source addresses", .serialized)
struct SourceAddressTests {
    static func plan(_ url: String, users: Int, single: Bool = false) -> LoadPlan {
        LoadPlan(
            url: url,
            users: users,
            durationSeconds: 0.5,
            timeoutSeconds: 5,
            requests: [RequestTemplate(name: "ok", path: "/ok")],
            singleSourceAddress: single
        )
    }

    /// The first three octets of an IPv4 address: what nginx's `ip_hash` keys on.
    static func network(_ address: String) -> String {
        address.split(separator: ".").prefix(3).joined(separator: ".")
    }

    @Test("each user connects from its own loopback address, never 127.0.0.1, differing in the first three octets")
    func onePerUser() async throws {
        let server = try await PeerServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(Self.plan(server.url, users: 300))
        let peers = server.requestsByPeer
        #expect(peers.count == 300, "\(peers.keys.sorted())")
        #expect(peers["127.0.0.1"] == nil)
        #expect(Set(peers.keys.map(Self.network)).count == 300)
        #expect(peers.keys.allSatisfy { $0.hasPrefix("127.") })
        #expect(result.totals.successRate == 100)
        #expect(result.sourceAddresses == "one address per user, 127.1.0.1 to 127.2.43.1", "\(result.sourceAddresses ?? "")")
        #expect(LoadReport.render(result, targets: LoadTargets()).contains("Users came from one address per user, 127.1.0.1 to 127.2.43.1"))
    }

    @Test("singleSourceAddress: every user from 127.0.0.1, as before")
    func single() async throws {
        let server = try await PeerServer.start()
        defer { Task { await server.stop() } }
        let result = try await LoadGenerator.run(Self.plan(server.url, users: 20, single: true))
        #expect(Array(server.requestsByPeer.keys) == ["127.0.0.1"])
        #expect(result.totals.successRate == 100)
    }

    @Test(
        "nginx with ip_hash in front of two servers: many source addresses reach both, a single one reaches one",
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/sbin/nginx"), "nginx is not installed")
    )
    func ipHash() async throws {
        let a = try await PeerServer.start()
        let b = try await PeerServer.start()
        let nginx = try await Nginx(upstreams: [a.port, b.port])
        defer {
            nginx.stop()
            Task {
                await a.stop()
                await b.stop()
            }
        }
        try await nginx.waitUntilReady()
        let many = try await LoadGenerator.run(Self.plan(nginx.url, users: 40))
        let (aMany, bMany) = (a.requestsByPeer.values.reduce(0, +), b.requestsByPeer.values.reduce(0, +))
        #expect(many.totals.successRate == 100)
        // 40 users hashed over 2 servers: each gets a real share (all 40 on one side has odds of 2 in 10^12).
        #expect(aMany > many.totals.sent / 10 && bMany > many.totals.sent / 10, "a \(aMany), b \(bMany)")
        let one = try await LoadGenerator.run(Self.plan(nginx.url, users: 40, single: true))
        let (aOne, bOne) = (a.requestsByPeer.values.reduce(0, +) - aMany, b.requestsByPeer.values.reduce(0, +) - bMany)
        #expect(one.totals.successRate == 100)
        #expect(min(aOne, bOne) == 0 && max(aOne, bOne) == one.totals.sent, "a \(aOne), b \(bOne)")
    }
}

/// nginx as a load balancer with `ip_hash`, in a scratch folder, on a free port.
struct Nginx {
    let port: Int
    let folder: URL
    let process: Process

    /// Starts nginx; call ``waitUntilReady()`` before sending it anything.
    init(upstreams: [Int]) async throws {
        self.folder = FileManager.default.temporaryDirectory.appendingPathComponent("loadtest-nginx-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        // A free port: let a server bind one, read it, stop that server (nginx binds the port a moment later).
        let probe = try await PeerServer.start()
        self.port = probe.port
        await probe.stop()
        let servers = upstreams.map { "server 127.0.0.1:\($0);" }.joined(separator: " ")
        let config = """
            daemon off;
            master_process off;
            worker_processes 1;
            pid \(self.folder.path)/nginx.pid;
            error_log \(self.folder.path)/error.log;
            events { worker_connections 1024; }
            http {
                access_log off;
                client_body_temp_path \(self.folder.path)/body;
                proxy_temp_path \(self.folder.path)/proxy;
                fastcgi_temp_path \(self.folder.path)/fastcgi;
                uwsgi_temp_path \(self.folder.path)/uwsgi;
                scgi_temp_path \(self.folder.path)/scgi;
                upstream backends { ip_hash; \(servers) keepalive 16; }
                server {
                    listen 127.0.0.1:\(self.port);
                    location / {
                        proxy_pass http://backends;
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                    }
                }
            }
            """
        try config.write(to: self.folder.appendingPathComponent("nginx.conf"), atomically: true, encoding: .utf8)
        self.process = Process()
        self.process.executableURL = URL(fileURLWithPath: "/usr/sbin/nginx")
        self.process.arguments = [
            "-p", self.folder.path, "-c", self.folder.appendingPathComponent("nginx.conf").path, "-e", "\(self.folder.path)/error.log",
        ]
        try self.process.run()
    }

    var url: String { "http://127.0.0.1:\(self.port)" }

    func waitUntilReady() async throws {
        for _ in 0..<100 {
            if await LocalHTTP.get(port: self.port, path: "/") != nil { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        let log = (try? String(contentsOf: self.folder.appendingPathComponent("error.log"), encoding: .utf8)) ?? ""
        Issue.record("nginx did not start: \(log)")
        throw TestFailure()
    }

    func stop() {
        // SIGKILL: a process started from a test may inherit a mask that blocks SIGTERM.
        kill(self.process.processIdentifier, SIGKILL)
        self.process.waitUntilExit()
        try? FileManager.default.removeItem(at: self.folder)
    }
}
