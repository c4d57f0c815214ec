import Foundation
import LabKit

/// What the exercise panel needs to run: where the repository is, where to listen, and how to ask the lab what
/// runs. The `lab` tool builds it (`./lab panel`); tests build one around a temporary repository.
public struct PanelConfiguration: Sendable {
    public var paths: LabPaths
    /// 127.0.0.1 unless told otherwise: the panel starts checks and records progress, so it is not for the network.
    public var host: String
    public var port: Int
    /// The `lab` executable the panel runs for a check or a load: the same engine as the terminal.
    public var labExecutable: String
    /// What the lab runs for a scenario, in the words of `./lab status` ("server in watch mode ... : serving"),
    /// or nil when it runs nothing.
    public var serverState: @Sendable (Scenario) -> String?
    /// How often the live graphs read the server's `/metrics` while a scenario page is open.
    public var sampleInterval: Duration
    /// The CSRF token every state-changing request must carry; a new random one per panel process.
    public var csrfToken: String
    /// The learner's progress: `.lab/progress.json`, the file the command line writes too.
    public var progress: ProgressStore
    /// Where runs leave their output and verdict files (`.lab/panel`).
    public var runsFolder: URL

    public static let defaultPort = 8090

    public init(
        paths: LabPaths,
        host: String = "127.0.0.1",
        port: Int = Self.defaultPort,
        labExecutable: String,
        serverState: @escaping @Sendable (Scenario) -> String?,
        sampleInterval: Duration = .seconds(1),
        csrfToken: String = PanelConfiguration.randomToken(),
        progress: ProgressStore? = nil,
        runsFolder: URL? = nil
    ) {
        self.progress = progress ?? ProgressStore(paths: paths)
        self.runsFolder = runsFolder ?? paths.state.appendingPathComponent("panel")
        self.paths = paths
        self.host = host
        self.port = port
        self.labExecutable = labExecutable
        self.serverState = serverState
        self.sampleInterval = sampleInterval
        self.csrfToken = csrfToken
    }

    /// 32 random bytes as hex, from the system's generator.
    public static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
    }

    /// Where the panel's templates, stylesheet, script and tier rules live: one folder, read at start-up.
    public var assets: URL { self.paths.root.appendingPathComponent("Shared/Panel") }
}
