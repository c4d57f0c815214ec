import Foundation

/// A real component a scenario runs beside its server: PostgreSQL, a streaming replica, Redis, nginx in
/// front of several instances, a companion program standing in for a remote API.
///
/// A scenario lists the ones it needs under `services` in its `lab.json`; each entry names a *kind*,
/// implemented once, in one file, by a type conforming to this protocol and registered in
/// ``ServiceKinds/all``. Every command goes through that list (``ScenarioServices``): `up`, `start`,
/// `watch`, `stop`, `down`, `status`, `logs`, `reset`, `check`, the fault drills, the lesson tests. Adding a
/// kind is one new file and one line in the registry.
public protocol LabService: Sendable {
    /// The kind `lab.json` names (`redis`).
    static var kind: String { get }
    /// Makes the service a scenario declared. Throws ``LabError`` when the declaration lacks what the kind needs.
    init(declaration: ServiceDeclaration, scenario: Scenario, paths: LabPaths) throws
    /// How commands and messages name it, and `./lab logs NN NAME` finds it (`redis`, `nginx`, `payment-provider`).
    var name: String { get }
    /// Starts it unless it runs (or, in external mode, waits until it answers) and returns a line for the
    /// learner. Installs its Debian package first when missing, where the machine allows it.
    /// - Parameter build: a companion is built first (lab commands); false uses the last build (tests, which
    ///   run inside `swift test` and may not build).
    func start(build: Bool) async throws -> String
    /// Stops it gracefully; a line when something was stopped, nil when it was not running.
    func stop() async -> String?
    /// One line for `./lab status`.
    func status() -> String
    /// Its output, for `./lab logs NN NAME`.
    var logFiles: [URL] { get }
    /// Puts its data back as it was at the scenario's start (`./lab reset`); a line when there was something to do.
    func reset() async throws -> String?
    /// Runs after the scenario's server starts and stops before it (a load balancer needs its instances).
    var startsAfterServer: Bool { get }
    /// One copy serves every scenario (the primary PostgreSQL): `./lab stop NN` leaves it running, `./lab down` stops it.
    var isShared: Bool { get }
    /// Files of the scenario folder that configure it and that the learner may edit (`nginx.conf`): `./lab
    /// reset` restores them from git.
    var learnerFiles: [String] { get }
}

extension LabService {
    public var startsAfterServer: Bool { false }
    public var isShared: Bool { false }
    public var learnerFiles: [String] { [] }
    public func reset() async throws -> String? { nil }

    /// `LAB_<KIND>=external` (`LAB_POSTGRES_REPLICA=external`): Docker Compose runs this kind; the lab never
    /// starts, stops or installs it, and only waits for it to answer.
    public static var isExternal: Bool {
        ProcessInfo.processInfo.environment[Self.externalVariable] == "external"
    }

    /// `LAB_REDIS` for the kind `redis`.
    public static var externalVariable: String {
        "LAB_" + Self.kind.uppercased().replacingOccurrences(of: "-", with: "_")
    }
}

/// The kinds a `lab.json` may declare.
public enum ServiceKinds {
    /// Adding a kind: a type conforming to ``LabService`` in a file of its own, and one line here.
    public static let all: [any LabService.Type] = [
        PostgresService.self,
        PostgresReplicaService.self,
        RedisService.self,
        NginxService.self,
        HAProxyService.self,
        CompanionService.self,
    ]

    static func type(named kind: String) -> (any LabService.Type)? {
        self.all.first { $0.kind == kind }
    }
}

/// One entry of `services` in `lab.json`. Which fields a kind reads is up to the kind; each says so.
public struct ServiceDeclaration: Codable, Sendable, Equatable {
    /// The kind: `postgres`, `postgres-replica`, `redis`, `nginx`, `companion`.
    public var kind: String
    /// Another name than the kind's (two services of one kind), or a companion's product.
    public var name: String?
    /// The port it listens on, on 127.0.0.1.
    public var port: Int?
    /// Its configuration file, relative to the scenario folder (`nginx.conf`, `redis.conf`).
    public var config: String?
    /// A companion: the executable product of the scenario package.
    public var product: String?
    /// Extra environment for a program the lab runs (a companion's latency).
    public var environment: [String: String]?
    /// One line for the learner: what it stands for.
    public var about: String?
    /// Kind-specific settings (`recovery_min_apply_delay` for a replica).
    public var options: [String: String]?

    public init(kind: String, name: String? = nil, port: Int? = nil, config: String? = nil, product: String? = nil) {
        self.kind = kind
        self.name = name
        self.port = port
        self.config = config
        self.product = product
    }

    /// The value a kind needs, or a message naming the field and the kind.
    func required<T>(_ value: T?, _ field: String) throws -> T {
        guard let value else { throw LabError("a \(self.kind) service in lab.json needs \"\(field)\"") }
        return value
    }
}

/// The services of one scenario, in the order its `lab.json` lists them, and what commands do with all of them.
public struct ScenarioServices: Sendable {
    public let scenario: Scenario
    public let all: [any LabService]

    /// - Throws: ``LabError`` for a kind that does not exist or a declaration it cannot use.
    public init(scenario: Scenario, paths: LabPaths) throws {
        self.scenario = scenario
        self.all = try (scenario.manifest.services ?? []).map { declaration in
            guard let type = ServiceKinds.type(named: declaration.kind) else {
                let known = ServiceKinds.all.map { $0.kind }.joined(separator: ", ")
                throw LabError("\(scenario.folderName)/lab.json: unknown service kind '\(declaration.kind)'; known: \(known)")
            }
            return try type.init(declaration: declaration, scenario: scenario, paths: paths)
        }
    }

    public var beforeServer: [any LabService] { self.all.filter { !$0.startsAfterServer } }
    public var afterServer: [any LabService] { self.all.filter(\.startsAfterServer) }

    /// The service called `name` (`./lab logs 05 redis`).
    public func named(_ name: String) -> (any LabService)? {
        self.all.first { $0.name == name }
    }

    /// Starts `services` in order; one line each.
    public static func start(_ services: [any LabService], build: Bool) async throws -> [String] {
        var lines: [String] = []
        for service in services { lines.append(try await service.start(build: build)) }
        return lines
    }

    /// Stops the scenario's own services, last started first (and the shared ones too when `includingShared`).
    public func stop(includingShared: Bool = false) async -> [String] {
        var lines: [String] = []
        for service in self.all.reversed() where includingShared || !service.isShared {
            if let line = await service.stop() { lines.append(line) }
        }
        return lines
    }

    public func statusLines() -> [String] { self.all.map { $0.status() } }

    /// Every service's data back at the start.
    public func reset() async throws -> [String] {
        var lines: [String] = []
        for service in self.all {
            if let line = try await service.reset() { lines.append(line) }
        }
        return lines
    }

    /// The configuration files the learner may edit, relative to the scenario folder.
    public var learnerFiles: [String] { self.all.flatMap(\.learnerFiles) }
}
