import Foundation
import LoadTestKit

/// One scenario folder and its `lab.json`: what to seed, how to load it, and the targets to meet.
///
/// Everything scenario-specific the lab tooling needs is in that file, so adding a scenario means adding a
/// folder, not changing `Shared`.
public struct Scenario: Sendable {
    public var folder: URL
    public var manifest: Manifest

    public var folderName: String { self.folder.lastPathComponent }
    /// `01` for `scenario-01-single-server`.
    public var number: String {
        String(self.folderName.dropFirst("scenario-".count).prefix { $0.isNumber })
    }

    public struct Manifest: Codable, Sendable {
        public var title: String
        /// PostgreSQL database of this scenario (one per scenario, in the same cluster).
        public var database: String
        /// Port the scenario's server listens on.
        public var port: Int
        public var seed: Seed
        public var load: Load
        public var targets: LoadTargets
        /// SQL file (relative to the folder) that applies the database half of the fix, if any.
        public var fix: String?
        /// SQL that undoes ``fix`` (the lesson test uses it to measure the naive server again).
        public var undoFix: String?
        /// The reference's version of a config file the learner edits (`redis.conf` → `redis.fixed.conf`): the
        /// half of the fix that is not code. The reveal points at it; the lesson test runs with it.
        public var fixedConfigs: [String: String]?
        /// The real components the scenario runs beside its server (``LabService``): PostgreSQL, a replica,
        /// Redis, nginx in front of the instances, companion programs.
        public var services: [ServiceDeclaration]?
        /// Several instances of the server behind a load balancer (an `nginx` service), instead of one server
        /// on ``port``.
        public var instances: Instances?
        /// Tables the server writes on its own (a scheduled job), not in answer to requests: the bad-input
        /// check does not count their rows.
        public var backgroundWrites: [String]?
    }

    /// Several instances of the server behind a load balancer: the learner's URL (``Manifest/port``) is the
    /// load balancer's, and each instance listens on a port of its own.
    public struct Instances: Codable, Sendable {
        /// How many run unless asked otherwise (`--instances N`).
        public var count: Int
        /// One port per instance the scenario allows, in order: instance `a` on the first, `b` on the second...
        public var ports: [Int]
        /// Environment for one instance only, by name (`{"c": {"DATABASE_POOL_SIZE": "2"}}`): a fleet whose
        /// instances are not all alike, as real fleets are (scenario 06).
        public var environment: [String: [String: String]]?
        /// Each instance connects to PostgreSQL as a role of its own (`lab_instance_c`, a member of `lab`), so
        /// one instance can lose its database while the others keep theirs (``LabDatabase/cutOff(_:)``).
        public var databaseRolePerInstance: Bool?
    }

    public struct Seed: Codable, Sendable {
        /// SQL file creating the tables (idempotent: `CREATE TABLE IF NOT EXISTS`).
        public var schema: String
        /// The tables to fill, in order; the last is the scenario's main table (`./lab seed --rows` sizes it,
        /// messages report its row count).
        public var tables: [Table]

        public struct Table: Codable, Sendable {
            public var table: String
            public var rows: Int
            public var batchSize: Int
            /// SQL file inserting the rows with ids `$1` to `$2`, deterministically.
            public var batch: String
        }
    }

    public struct Load: Codable, Sendable {
        public var users: Int
        public var durationSeconds: Double
        public var timeoutSeconds: Double
        /// The request mix, or
        public var requests: [RequestTemplate]
        /// scripted user journeys (a scenario has one or the other).
        public var journeys: [Journey]
        /// Placeholder name → SQL returning the values to draw from (first column, as text).
        public var parameters: [String: String]

        enum CodingKeys: String, CodingKey { case users, durationSeconds, timeoutSeconds, requests, journeys, parameters }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            self.users = try container.decode(Int.self, forKey: .users)
            self.durationSeconds = try container.decode(Double.self, forKey: .durationSeconds)
            self.timeoutSeconds = try container.decode(Double.self, forKey: .timeoutSeconds)
            self.requests = try container.decodeIfPresent([RequestTemplate].self, forKey: .requests) ?? []
            self.journeys = try container.decodeIfPresent([Journey].self, forKey: .journeys) ?? []
            self.parameters = try container.decodeIfPresent([String: String].self, forKey: .parameters) ?? [:]
        }

        /// The names `./lab load --only` accepts: the requests', or the journeys'.
        public var names: [String] { self.requests.map(\.name) + self.journeys.map(\.name) }
    }

    public init(folder: URL) throws {
        self.folder = folder.standardizedFileURL
        let file = folder.appendingPathComponent("lab.json")
        let data: Data
        do {
            data = try Data(contentsOf: file)
        } catch {
            throw LabError("\(folder.lastPathComponent) has no readable lab.json (\(file.path))")
        }
        do {
            self.manifest = try JSONDecoder().decode(Manifest.self, from: data)
        } catch {
            throw LabError("\(file.path) is not valid: \(error)")
        }
    }

    /// The URL the scenario's server answers on.
    public var serverURL: String { "http://127.0.0.1:\(self.manifest.port)" }

    public func file(_ relativePath: String) -> URL {
        self.folder.appendingPathComponent(relativePath)
    }

    /// Finds a scenario by what a learner would type: `01`, `1`, `scenario-01-single-server`, or nothing
    /// (the scenario folder the current directory is in).
    public static func find(
        _ name: String?,
        in paths: LabPaths,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    ) throws -> Scenario {
        let folders = paths.scenarioFolders()
        let available = folders.map(\.lastPathComponent).joined(separator: ", ")
        guard let name, !name.isEmpty else {
            let cwd = currentDirectory.standardizedFileURL.path
            if let folder = folders.first(where: { cwd == $0.path || cwd.hasPrefix($0.path + "/") }) {
                return try Scenario(folder: folder)
            }
            throw LabError("which scenario? Name one, for example `./lab up 01`. Available: \(available)")
        }
        let trimmed = name.hasSuffix("/") ? String(name.dropLast()) : name
        let wanted = URL(fileURLWithPath: trimmed).lastPathComponent
        let match = folders.first { folder in
            let folderName = folder.lastPathComponent
            if folderName == wanted { return true }
            let number = folderName.dropFirst("scenario-".count).prefix { $0.isNumber }
            return Int(wanted).map { Int(number) == $0 } ?? false
        }
        guard let match else {
            throw LabError("no scenario called '\(name)'. Available: \(available)")
        }
        return try Scenario(folder: match)
    }
}
