import Foundation

/// One running copy of a scenario's server. Most scenarios run one; a scenario with `instances` in its
/// `lab.json` runs several (`a`, `b`, `c`) behind a load balancer, like a team that scaled out.
public struct ServerInstance: Sendable, Equatable {
    /// `a`, `b`, `c`...; nil for the one server of a scenario without a load balancer.
    public var name: String?
    public var port: Int

    public init(name: String?, port: Int) {
        self.name = name
        self.port = port
    }

    /// `server-a` (its pid and log files in `.lab/<scenario>/`), or `server` for a lone server.
    public var processName: String { self.name.map { "server-\($0)" } ?? "server" }
    /// The PostgreSQL role it connects as when its scenario gives each instance its own (`lab_instance_c`).
    public var databaseRole: String? { self.name.map { "\(PostgresCluster.appUser)_instance_\($0)" } }
    /// `instance a (:8081)`, or `the server (:8080)`.
    public var label: String { self.name.map { "instance \($0) (:\(self.port))" } ?? "the server (:\(self.port))" }
}

extension Scenario {
    /// Whether the scenario's server runs as several instances behind a load balancer.
    public var hasLoadBalancer: Bool { self.manifest.instances != nil }

    /// The load balancer's name for messages: `HAProxy` (scenario 06) or `nginx` (scenario 04).
    public var loadBalancerName: String {
        (self.manifest.services ?? []).contains { $0.kind == HAProxyService.kind } ? "HAProxy" : "nginx"
    }

    /// The instances to run: for a scenario with a load balancer, `count` of them (default: its `lab.json`),
    /// named `a`, `b`, `c`... on the ports listed there; otherwise the one server on the scenario's port.
    /// - Throws: ``LabError`` when `count` is out of range or the scenario runs one server only.
    public func instances(count: Int? = nil) throws -> [ServerInstance] {
        guard let instances = self.manifest.instances else {
            if let count, count != 1 {
                throw LabError(
                    "scenario \(self.number) runs one server; --instances is for scenarios with a load balancer (scenario 04 and later)"
                )
            }
            return [ServerInstance(name: nil, port: self.manifest.port)]
        }
        let wanted = count ?? instances.count
        guard (1...instances.ports.count).contains(wanted) else {
            throw LabError("scenario \(self.number) runs 1 to \(instances.ports.count) instances (got \(wanted))")
        }
        return Array(self.allInstances.prefix(wanted))
    }

    /// Every instance the scenario may run (to find what runs, stop it, read its metrics).
    public var allInstances: [ServerInstance] {
        guard let instances = self.manifest.instances else { return [ServerInstance(name: nil, port: self.manifest.port)] }
        return instances.ports.enumerated().map { index, port in
            ServerInstance(name: String(UnicodeScalar(UInt8(ascii: "a") + UInt8(index))), port: port)
        }
    }
}
