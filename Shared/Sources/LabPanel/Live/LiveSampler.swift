import Foundation
import LabKit

/// Reads the running server's `/metrics` about once a second while a scenario page is open, and keeps the last
/// few minutes of each live graph.
///
/// It samples only while someone looks: every poll of a page's graphs renews a 30 s lease, and with no lease
/// the loop reads nothing. A `/metrics` read costs the server one request per second, far under the 2% of the
/// standard load's throughput the panel may take (the closing note of the panel's issue has the measurement).
public actor LiveSampler {
    public struct Graph: Sendable, Codable, Equatable {
        public var name: String
        public var unit: String
        public var points: [LiveSeries.Point]
    }

    private let interval: Duration
    private let keepSeconds: Double
    private var focus: Scenario?
    private var leaseUntil = Date.distantPast
    private var previous: (at: Date, metrics: ServerMetrics)?
    private var graphs: [String: Graph] = [:]
    private var order: [String] = []
    private var loop: Task<Void, Never>?

    public init(interval: Duration, keepSeconds: Double = 300) {
        self.interval = interval
        self.keepSeconds = keepSeconds
    }

    /// The graphs of `scenario`, and a renewed lease on sampling it. Looking at another scenario starts afresh.
    public func graphs(for scenario: Scenario) -> [Graph] {
        if self.focus?.number != scenario.number {
            self.focus = scenario
            self.previous = nil
            self.graphs = [:]
            self.order = []
        }
        self.leaseUntil = Date().addingTimeInterval(30)
        if self.loop == nil {
            self.loop = Task { [weak self] in await self?.run() }
        }
        return self.order.compactMap { self.graphs[$0] }
    }

    private func run() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: self.interval)
            guard let scenario = self.focus, Date() < self.leaseUntil else {
                self.previous = nil
                continue
            }
            await self.sample(scenario)
        }
    }

    /// One read of every instance's `/metrics` (summed: the graphs show the whole scenario).
    func sample(_ scenario: Scenario) async {
        let ports = scenario.manifest.instances?.ports ?? [scenario.manifest.port]
        var samples: [ServerMetrics.Sample] = []
        var answered = false
        for port in ports {
            if let metrics = await ServerMetrics.fetch(port: port) {
                samples += metrics.samples
                answered = true
            }
        }
        guard self.focus?.number == scenario.number else { return }
        let now = Date()
        guard answered else {
            self.previous = nil
            return
        }
        let metrics = ServerMetrics(samples: samples)
        defer { self.previous = (now, metrics) }
        guard let previous = self.previous else { return }
        let dt = now.timeIntervalSince(previous.at)
        guard dt > 0.2 else { return }
        self.add(metrics: metrics, previous: previous.metrics, dt: dt, at: now)
    }

    /// Adds one point to each graph (tests call it with metrics of their own).
    public func add(metrics: ServerMetrics, previous: ServerMetrics, dt: Double, at now: Date) {
        for definition in LiveSeries.standard + LiveSeries.own(metrics) {
            guard let value = definition.value(previous, metrics, dt), value.isFinite else { continue }
            if self.graphs[definition.name] == nil {
                self.graphs[definition.name] = Graph(name: definition.name, unit: definition.unit, points: [])
                self.order.append(definition.name)
            }
            self.graphs[definition.name]!.points.append(.init(t: now.timeIntervalSince1970, v: value))
            let oldest = now.timeIntervalSince1970 - self.keepSeconds
            self.graphs[definition.name]!.points.removeAll { $0.t < oldest }
        }
    }
}
