import Foundation
import LabKit

/// The parts of a provisioned Grafana dashboard JSON the tests check: every panel (rows' nested panels
/// included), the datasource it names and its PromQL queries.
///
/// Dashboards live in `observability/grafana/dashboards/` (shared) and `scenario-XX/dashboard.json` (each
/// scenario's own); Grafana loads them through `observability/grafana/provisioning/dashboards/lab.yml`.
public struct GrafanaDashboard: Sendable {
    public struct Datasource: Decodable, Sendable {
        public var type: String?
        public var uid: String?
    }

    public struct Target: Decodable, Sendable {
        public var refId: String?
        public var expr: String?
        public var datasource: Datasource?
    }

    public struct Panel: Decodable, Sendable {
        public var title: String?
        public var type: String
        public var datasource: Datasource?
        public var targets: [Target]?
        public var panels: [Panel]?
    }

    struct File: Decodable {
        var uid: String
        var title: String
        var panels: [Panel]
    }

    public let url: URL
    public let uid: String
    public let title: String
    /// Every panel, rows' children included (a row is a container, not a panel of its own).
    public let panels: [Panel]

    public init(contentsOf url: URL) throws {
        let file: File
        do {
            file = try JSONDecoder().decode(File.self, from: try Data(contentsOf: url))
        } catch {
            throw LabError("\(url.path) is not a dashboard Grafana can load: \(error)")
        }
        self.url = url
        self.uid = file.uid
        self.title = file.title
        func flatten(_ panels: [Panel]) -> [Panel] {
            panels.flatMap { $0.type == "row" ? flatten($0.panels ?? []) : [$0] }
        }
        self.panels = flatten(file.panels)
    }

    /// The panels that query Prometheus (text panels have no queries).
    public var queryPanels: [Panel] { self.panels.filter { !($0.targets ?? []).isEmpty } }

    /// Every dashboard of the lab: the shared ones and each scenario's `dashboard.json`.
    public static func all(in paths: LabPaths) throws -> [GrafanaDashboard] {
        let shared = paths.root.appendingPathComponent("observability/grafana/dashboards")
        let files = try FileManager.default.contentsOfDirectory(atPath: shared.path).filter { $0.hasSuffix(".json") }.sorted()
            .map { shared.appendingPathComponent($0) }
        let scenarios = paths.scenarioFolders().map { $0.appendingPathComponent("dashboard.json") }
            .filter { FileManager.default.fileExists(atPath: $0.path) }
        return try (files + scenarios).map(GrafanaDashboard.init(contentsOf:))
    }

    /// The dashboards a scenario's learner sees: the shared ones and the scenario's own.
    public static func forScenario(_ scenario: Scenario, in paths: LabPaths) throws -> [GrafanaDashboard] {
        try self.all(in: paths).filter { !$0.url.path.contains("/scenario-") || $0.url.path.hasPrefix(scenario.folder.path + "/") }
    }

    /// A query as Prometheus runs it: Grafana's `$__rate_interval` replaced by what Grafana computes for a
    /// 15-minute view with a 5 s scrape interval (four scrape intervals: 20 s).
    public static func prometheusQuery(_ expr: String) -> String {
        expr.replacingOccurrences(of: "$__rate_interval", with: "20s").replacingOccurrences(of: "$__interval", with: "5s")
    }
}
