import Foundation

/// A program of the scenario package that runs beside the server, like a remote service would (kind
/// `companion`: its `product`, `port`, `environment` and `about`), for example scenario 03's stand-in for a
/// payment provider.
///
/// It runs in the background like `./lab start` servers do (``BackgroundProcess`` named after its product in
/// `.lab/<scenario>/`) and keeps running across server restarts until `./lab stop` or `./lab down`.
public struct CompanionService: LabService {
    public static let kind = "companion"
    public let scenario: Scenario
    public let paths: LabPaths
    public let product: String
    public let port: Int
    let environment: [String: String]
    /// One line for the learner: what it stands for.
    public let about: String
    public var name: String { self.product }

    public init(declaration: ServiceDeclaration, scenario: Scenario, paths: LabPaths) throws {
        self.scenario = scenario
        self.paths = paths
        self.product = try declaration.required(declaration.product, "product")
        self.port = try declaration.required(declaration.port, "port")
        self.environment = declaration.environment ?? [:]
        self.about = declaration.about ?? self.product
    }

    var process: BackgroundProcess { BackgroundProcess(name: self.product, folder: self.paths.runtime(for: self.scenario)) }
    public var logFiles: [URL] { [self.process.logFile] }

    /// Builds it (or uses the last build) and starts it unless it runs; waits until it accepts connections.
    public func start(build: Bool) async throws -> String {
        if let (pid, _) = self.process.running() {
            return "\(self.product) already running on port \(self.port) (pid \(pid)): \(self.about)"
        }
        let listening = ListeningProcess(process: self.process, port: self.port)
        try listening.ensurePortFree(what: self.product)
        let builder = SwiftBuild(paths: self.paths)
        let binary =
            build
            ? try await builder.build(self.scenario, product: self.product, streamOutput: false)
            : try builder.install(self.scenario, product: self.product)
        var environment = ProcessInfo.processInfo.environment
        environment["HTTP_HOST"] = "127.0.0.1"
        environment["HTTP_PORT"] = String(self.port)
        environment.merge(self.environment) { _, mine in mine }
        let child = try await listening.start([binary.path], environment: environment, tag: self.product)
        return "\(self.product) running on port \(self.port) (pid \(child.pid)): \(self.about)"
    }

    public func stop() async -> String? {
        await self.process.stop() ? "stopped \(self.product) of \(self.scenario.folderName)" : nil
    }

    public func status() -> String {
        "\(self.product): " + (self.process.running().map { "running on port \(self.port) (pid \($0.pid))" } ?? "stopped")
    }
}
