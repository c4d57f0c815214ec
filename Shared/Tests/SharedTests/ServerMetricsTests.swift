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

    @Test("cache lookups during the test: a hit ratio per cache, busiest first, none for a server without a cache")
    func cacheLookups() {
        let before =
            Self.before + "\ncache_requests_total{cache=\"trending\",result=\"hit\"} 100\ncache_requests_total{cache=\"trending\",result=\"miss\"} 1"
        let after =
            Self.after + """

                cache_requests_total{cache="trending",result="hit"} 1090
                cache_requests_total{cache="trending",result="miss"} 11
                cache_requests_total{cache="products",result="hit"} 3000
                cache_requests_total{cache="products",result="miss"} 1000
                """
        let summary = ServerMetricsSummary(before: ServerMetrics.parse(before), after: ServerMetrics.parse(after), peakInUse: 1, peakWaiting: 0)
        #expect(summary.cacheLookups.map(\.cache) == ["products", "trending"])
        let text = summary.render()
        #expect(text.contains("Cache \"products\": hit ratio       75.0%  (3,000 hits, 1,000 misses)"), "\(text)")
        #expect(text.contains("Cache \"trending\": hit ratio       99.0%  (990 hits, 10 misses)"), "only what the test added: \(text)")
        let noCache = ServerMetricsSummary(
            before: ServerMetrics.parse(Self.before),
            after: ServerMetrics.parse(Self.after),
            peakInUse: 1,
            peakWaiting: 0
        )
        #expect(!noCache.render().contains("Cache"))
    }

    @Test("checks read any series: a counter's growth, a gauge's peak, a histogram's quantile, a ratio, with label filters")
    func selectors() throws {
        var summary = ServerMetricsSummary(
            before: ServerMetrics.parse(Self.before),
            after: ServerMetrics.parse(Self.after),
            peakInUse: 7,
            peakWaiting: 0
        )
        summary.during = [ServerMetrics.parse("db_pool_connections_in_use 7\ndb_pool_requests_waiting 4")]
        #expect(MetricSelector(name: "db_pool_acquire_timeouts_total").value(in: summary) == 2, "a counter: its growth")
        #expect(MetricSelector(name: "db_pool_connections_in_use").value(in: summary) == 7, "a gauge: its peak, seen during the load")
        let p99 = try #require(MetricSelector(name: "db_pool_wait_seconds", quantile: 0.99, scale: 1000).value(in: summary))
        #expect(abs(p99 - 98.2) < 0.01, "a histogram's quantile, in milliseconds: \(p99)")
        let requests = MetricSelector(name: "http_requests_total", labels: ["route": "!/metrics|/health"])
        #expect(requests.value(in: summary) == 100, "the /metrics scrapes left out")
        #expect(MetricSelector(name: "http_requests_total", labels: ["route": "/metrics"]).value(in: summary) == 6)
        #expect(MetricSelector(name: "no_such_series_total").value(in: summary) == nil, "a series the server does not have: not observed")
        let perRequest = MetricRatio(of: MetricSelector(name: "db_pool_acquire_timeouts_total"), to: requests, scale: 100)
        #expect(perRequest.value(in: summary) == 2)
        let nothing = MetricRatio(of: requests, to: MetricSelector(name: "db_pool_acquire_timeouts_total", labels: ["x": "y"]))
        #expect(nothing.value(in: summary) == nil, "a denominator of zero: nothing to say")
    }

    @Test("replication lag renders seconds, bytes and samples without a replica")
    func replicationLag() {
        #expect(ReplicationLag().render() == nil)
        var lag = ReplicationLag(samples: 80, samplesWithoutReplica: 0, peakSeconds: 1.234, meanSeconds: 0.4, peakBytes: 3_500_000)
        #expect(lag.render() == "Replica behind (replication lag)  peak 1.23 s, mean 0.40 s; at most 3.3 MB of WAL not yet replayed")
        lag.samplesWithoutReplica = 20
        #expect(lag.render()?.hasSuffix("(no replica connected in 25% of the samples)") == true)
        lag.samplesWithoutReplica = 80
        #expect(lag.render()?.contains("no replica was connected") == true)
    }
}
