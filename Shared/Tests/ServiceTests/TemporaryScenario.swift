import Foundation
import LabKit
import LabTesting

#if canImport(Glibc)
import Glibc
#endif

/// A scenario that exists only for a test: a folder of its own (its own `.lab/` state) with a `lab.json`
/// declaring `services`, and any config files they name. Removed at the end.
struct TemporaryScenario {
    let paths: LabPaths
    let scenario: Scenario

    /// - Parameters:
    ///   - services: the `services` array of its lab.json, as JSON.
    ///   - files: more files of the scenario folder (`redis.conf`), by name.
    ///   - root: where its `.lab/` state lives (default: a new temporary folder; the repository's, to share
    ///     the lab's PostgreSQL).
    ///   - port: the scenario's port (where a load balancer listens).
    init(services: String, files: [String: String] = [:], root: URL? = nil, port: Int = 1) throws {
        let base = root ?? FileManager.default.temporaryDirectory.appendingPathComponent("lab-services-\(UUID().uuidString)")
        let folder = base.appendingPathComponent("scenario-90-services-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let manifest = """
            {"title": "services test", "database": "service_tests", "port": \(port), "services": \(services),
             "seed": {"schema": "schema.sql", "tables": []},
             "load": {"users": 1, "durationSeconds": 1, "timeoutSeconds": 1}, "targets": {}}
            """
        try manifest.write(to: folder.appendingPathComponent("lab.json"), atomically: true, encoding: .utf8)
        try "".write(to: folder.appendingPathComponent("schema.sql"), atomically: true, encoding: .utf8)
        for (name, text) in files { try text.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8) }
        self.paths = LabPaths(root: base)
        self.scenario = try Scenario(folder: folder)
    }

    var services: ScenarioServices {
        get throws { try ScenarioServices(scenario: self.scenario, paths: self.paths) }
    }

    /// Stops its services and removes its folder.
    func remove() async {
        _ = await (try? self.services)?.stop(includingShared: false)
        try? FileManager.default.removeItem(at: self.scenario.folder)
    }

    /// A port nothing listens on right now, outside the range outgoing connections use (``TestPorts``).
    static func freePort() -> Int { TestPorts.free() }
}
