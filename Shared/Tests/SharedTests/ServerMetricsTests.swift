import LabKit
import Testing

@Suite("Reading a server's /metrics for the load summary")
struct ServerMetricsTests {
    static let before = """
        # HELP db_pool_wait_seconds Time requests waited.
        db_pool_wait_seconds_bucket{le="0.001"} 10
        db_pool_wait_seconds_bucket{le="0.01"} 10
        db_pool_wait_seconds_bucket{le="0.1"} 10
        db_pool_wait_seconds_bucket{le="+Inf"} 10
        db_connections_opened_total{kind="pool"} 10
        http_requests_total{route="/users/{id}",method="GET",status="200"} 5
        http_requests_total{route="/metrics",method="GET",status="200"} 3
        db_pool_max_connections 10.0
        db_pool_acquire_timeouts_total 0
        """
    static let after = """
        db_pool_wait_seconds_bucket{le="0.001"} 10
        db_pool_wait_seconds_bucket{le="0.01"} 60
        db_pool_wait_seconds_bucket{le="0.1"} 110
        db_pool_wait_seconds_bucket{le="+Inf"} 110
        db_connections_opened_total{kind="pool"} 10
        http_requests_total{route="/users/{id}",method="GET",status="200"} 105
        http_requests_total{route="/metrics",method="GET",status="200"} 9
        db_pool_max_connections 10.0
        db_pool_connections_in_use 3.0
        db_pool_acquire_timeouts_total 2
        """

    @Test("parses samples and labels, sums series, and skips comments")
    func parse() {
        let metrics = ServerMetrics.parse(Self.after)
        #expect(metrics.sum("http_requests_total") == 114)
        #expect(metrics.sum("http_requests_total") { $0["route"] == "/metrics" } == 9)
        #expect(metrics.sum("db_pool_max_connections") == 10)
        #expect(ServerMetrics.parse(Self.before).samples.count == 9)
    }

    @Test("p99 of what a histogram observed during the test, interpolated like Prometheus")
    func quantile() throws {
        let before = ServerMetrics.parse(Self.before)
        let after = ServerMetrics.parse(Self.after)
        // 100 new observations: 50 in (1 ms, 10 ms], 50 in (10 ms, 100 ms]. p50 = 10 ms, p99 = 98.2 ms.
        #expect(abs(try #require(after.quantile(0.5, of: "db_pool_wait_seconds", since: before)) - 0.01) < 1e-9)
        #expect(abs(try #require(after.quantile(0.99, of: "db_pool_wait_seconds", since: before)) - 0.0982) < 1e-9)
        #expect(after.quantile(0.99, of: "db_pool_wait_seconds", since: after) == nil)
    }

    @Test("the summary counts the test's own requests and connections, and the pool's peaks")
    func summary() {
        let summary = ServerMetricsSummary(
            before: ServerMetrics.parse(Self.before),
            after: ServerMetrics.parse(Self.after),
            peakInUse: 10,
            peakWaiting: 42
        )
        #expect(summary.requests == 100)
        #expect(summary.connectionsOpened == 0)
        #expect(summary.peakInUse == 10)
        #expect(summary.acquireTimeouts == 2)
        let text = summary.render()
        #expect(text.contains("Pool: most connections in use     10 of 10"))
        #expect(text.contains("Pool: most requests waiting       42"))
        #expect(text.contains("Pool: p99 wait for a connection   98.2 ms"))
        #expect(text.contains("Pool: gave up waiting (503)       2"))
    }
}
