import Foundation
import LabKit
import LabTesting
import Testing

/// The overview dashboard's Redis row has numbers when a scenario runs a Redis: a real redis-server, the
/// real redis_exporter (Debian's `prometheus-redis-exporter`) and the lab's Prometheus with its scrape
/// config, a few seconds of cache traffic, then every query of the row, as Grafana would ask it.
@Suite("The overview's Redis row shows data (needs redis-server, prometheus, prometheus-redis-exporter)", .serialized)
struct RedisDashboardTests {
    @Test("every panel of the Redis row returns data from Prometheus")
    func redisRow() async throws {
        let repository = try LabPaths.discover(from: URL(fileURLWithPath: #filePath).deletingLastPathComponent())
        let scenario = try TemporaryScenario(
            services: #"[{"kind": "redis", "port": \#(TemporaryScenario.freePort()), "config": "redis.conf", "options": {"exporter": "off"}}]"#,
            files: ["redis.conf": "maxmemory 4mb\nmaxmemory-policy allkeys-lru\nsave \"\"\n"]
        )
        defer { Task { await scenario.remove() } }
        let redis = try #require(try scenario.services.all.first as? RedisService)
        _ = try await redis.start(build: false)
        // The exporter on the port the scrape config names, pointed at this Redis; Prometheus as the lab runs it.
        let exporter = PrometheusExporter.redis(paths: scenario.paths, redisPort: redis.port, port: 9121)
        _ = try await exporter.start(required: true)
        defer { Task { await exporter.stop() } }
        let observability = Observability(paths: repository)
        let wasRunning = observability.prometheus.running() != nil
        _ = try await observability.start(required: true)
        defer { if !wasRunning { Task { _ = await observability.stop() } } }

        // Cache traffic for three scrapes: hits, misses, and enough writes to evict under the 4 MB limit.
        let start = Date()
        let value = String(repeating: "x", count: 2000)
        for round in 0..<150 {
            _ = try redis.command(["SET", "page:\(round)", value])
            for key in 0..<20 { _ = try redis.command(["GET", "page:\(round - key)"]) }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await Task.sleep(for: .seconds(6))

        let overview = try #require(try GrafanaDashboard.all(in: repository).first { $0.url.lastPathComponent == "overview.json" })
        let queries = overview.queryPanels.flatMap { $0.targets ?? [] }.compactMap(\.expr).filter { $0.contains("job=\"redis\"") }
        #expect(queries.count >= 5, "the overview has a Redis row")
        let prometheus = PrometheusAPI()
        for expression in queries {
            let query = GrafanaDashboard.prometheusQuery(expression)
            let series = try prometheus.queryRange(query, start: start, end: Date())
            #expect(series.contains { $0.values.contains { !$0.isNaN } }, "No data: \(query)")
        }
    }
}
