import Foundation
import Synchronization

/// What the server itself saw during a load test, from its `/metrics`: read before, once a second during
/// (gauges such as "requests waiting for a connection" only exist in the moment), and after. With several
/// instances, their numbers are added up (connections, pool sizes, requests), and each instance's share of
/// the requests is kept.
public struct ServerMetricsSummary: Sendable, Equatable {
    /// Requests the server answered (its own count, `/metrics` and `/health` excluded).
    public var requests: Double
    /// New PostgreSQL connections opened during the test, pooled or per request.
    public var connectionsOpened: Double
    /// The pool's size (0: the server has no pool).
    public var poolSize: Double
    public var peakInUse: Double
    public var peakWaiting: Double
    /// 99th percentile of the time requests waited for a pooled connection, in milliseconds.
    public var p99WaitMilliseconds: Double?
    /// Median and 99th percentile of how long requests kept their pooled connection, in milliseconds.
    public var medianHoldMilliseconds: Double?
    public var p99HoldMilliseconds: Double?
    /// Requests that waited the whole acquire timeout and got a 503.
    public var acquireTimeouts: Double
    /// Requests answered 503 at once because the pool knew PostgreSQL could not be used (down, or full).
    public var refusedAtOnce: Double = 0
    /// The pool's acquire timeout in milliseconds (nil for servers that do not report it).
    public var acquireTimeoutMilliseconds: Double?
    /// The program that answered (`server`, `server-fixed`), from `lab_server_info`; nil for older servers.
    public var program: String?
    /// Requests each instance answered, by instance name, when several ran (empty for a lone server).
    public var requestsByInstance: [String: Double] = [:]
    /// Every instance's `/metrics` added up: before the load, once a second during it, and after it. The
    /// checks read any series from these (``MetricSelector``).
    public var before: ServerMetrics
    public var during: [ServerMetrics] = []
    public var after: ServerMetrics

    /// Builds the summary from the samples before and after, and the peaks seen in between.
    public init(before: ServerMetrics, after: ServerMetrics, peakInUse: Double, peakWaiting: Double) {
        self.before = before
        self.after = after
        self.requests = Self.requestsAnswered(before: before, after: after)
        self.connectionsOpened = after.sum("db_connections_opened_total") - before.sum("db_connections_opened_total")
        self.poolSize = after.sum("db_pool_max_connections")
        self.peakInUse = max(peakInUse, after.sum("db_pool_connections_in_use"))
        self.peakWaiting = max(peakWaiting, after.sum("db_pool_requests_waiting"))
        self.p99WaitMilliseconds = after.quantile(0.99, of: "db_pool_wait_seconds", since: before).map { $0 * 1000 }
        self.medianHoldMilliseconds = after.quantile(0.5, of: "db_pool_connection_hold_seconds", since: before).map { $0 * 1000 }
        self.p99HoldMilliseconds = after.quantile(0.99, of: "db_pool_connection_hold_seconds", since: before).map { $0 * 1000 }
        self.program = after.samples.first { $0.name == "lab_server_info" }?.labels["program"]
        self.acquireTimeouts = after.sum("db_pool_acquire_timeouts_total") - before.sum("db_pool_acquire_timeouts_total")
        self.refusedAtOnce = after.sum("db_pool_refused_at_once_total") - before.sum("db_pool_refused_at_once_total")
        self.acquireTimeoutMilliseconds = after.samples.first { $0.name == "db_pool_acquire_timeout_seconds" }.map { $0.value * 1000 }
    }

    /// Cache lookups during the test, by cache name (`cache_requests_total{cache,result}`, counted by LabRedis's
    /// `RedisCache` or a server's own `CacheMetrics.record`): hits and misses, busiest cache first.
    public var cacheLookups: [(cache: String, hits: Double, misses: Double)] {
        let names = Set(self.after.samples.filter { $0.name == "cache_requests_total" }.compactMap { $0.labels["cache"] })
        return names.map { name in
            func count(_ result: String) -> Double {
                let matching: ([String: String]) -> Bool = { $0["cache"] == name && $0["result"] == result }
                return self.after.sum("cache_requests_total", matching: matching) - self.before.sum("cache_requests_total", matching: matching)
            }
            return (name, count("hit"), count("miss"))
        }
        .filter { $0.hits + $0.misses > 0 }
        .sorted { ($0.hits + $0.misses, $1.cache) > ($1.hits + $1.misses, $0.cache) }
    }

    /// Requests answered between the two samples, `/metrics` and `/health` left out.
    static func requestsAnswered(before: ServerMetrics, after: ServerMetrics) -> Double {
        let appRequests: ([String: String]) -> Bool = { $0["route"] != "/metrics" && $0["route"] != "/health" }
        return after.sum("http_requests_total", matching: appRequests) - before.sum("http_requests_total", matching: appRequests)
    }

    public func render() -> String {
        func number(_ value: Double) -> String { value.rounded() == value ? String(Int(value)) : String(format: "%.1f", value) }
        func row(_ label: String, _ value: String) -> String { "  " + label.padding(toLength: 34, withPad: " ", startingAt: 0) + value }
        let several = !self.requestsByInstance.isEmpty
        var lines = [
            several
                ? "What the servers saw (each instance's /metrics, added up, during the test):"
                : "What the server saw (its own /metrics, during the test):"
        ]
        if several {
            let shares = self.requestsByInstance.sorted { $0.key < $1.key }.map { name, requests in
                "\(name) \(Self.grouped(requests))"
                    + (self.requests > 0 ? String(format: " (%.0f%%)", requests / self.requests * 100) : "")
            }
            lines.append(row("Requests answered, by instance", shares.joined(separator: ", ")))
        }
        let perRequest = self.requests > 0 ? self.connectionsOpened / self.requests : 0
        var opened = number(self.connectionsOpened)
        if self.requests > 0 {
            opened += String(format: "  (%.2f per request", perRequest) + (perRequest > 0.5 ? ": a new connection for most requests)" : ")")
        }
        lines.append(row("Database connections opened", opened))
        for lookup in self.cacheLookups {
            let total = lookup.hits + lookup.misses
            lines.append(
                row(
                    "Cache \"\(lookup.cache)\": hit ratio",
                    String(format: "%.1f%%  (%@ hits, %@ misses)", lookup.hits / total * 100, Self.grouped(lookup.hits), Self.grouped(lookup.misses))
                )
            )
        }
        guard self.poolSize > 0 else {
            lines.append(row("Connection pool", "none"))
            return lines.joined(separator: "\n")
        }
        lines.append(
            row(
                several ? "Pools: most connections in use" : "Pool: most connections in use",
                "\(number(self.peakInUse)) of \(number(self.poolSize))" + (several ? " (all instances' pools together)" : "")
            )
        )
        lines.append(row("Pool: most requests waiting", number(self.peakWaiting)))
        // Waits are read from histogram buckets: a p99 at or past the timeout means "waited the whole timeout
        // and gave up", whatever the bucket's upper bound says.
        let wait: String
        if let p99 = self.p99WaitMilliseconds, let timeout = self.acquireTimeoutMilliseconds, timeout > 0, p99 >= timeout {
            wait = String(format: "%.0f ms, the timeout: over 1%% of the requests gave up waiting", timeout)
        } else {
            wait = self.p99WaitMilliseconds.map { String(format: "%.1f ms", $0) } ?? "no waits"
        }
        lines.append(row("Pool: p99 wait for a connection", wait))
        if let median = self.medianHoldMilliseconds, let p99 = self.p99HoldMilliseconds {
            lines.append(row("Pool: each request held one for", String(format: "%.1f ms median, %.1f ms p99", median, p99)))
        }
        lines.append(
            row(
                "Pool: gave up waiting (503)",
                number(self.acquireTimeouts)
                    + (self.acquireTimeouts > 0 ? "  (among the 503s above; one whose user had already given up is a timeout there)" : "")
            )
        )
        if self.refusedAtOnce > 0 {
            lines.append(
                row(
                    "Pool: refused at once (503)",
                    number(self.refusedAtOnce) + "  (PostgreSQL down or refusing connections, as far as the pool knew: its log says which)"
                )
            )
        }
        return lines.joined(separator: "\n")
    }

    /// `12,345`.
    static func grouped(_ value: Double) -> String {
        Int(value).formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US")))
    }

    /// Reads `/metrics` on `port` once a second until `body` returns; nil when the server has no `/metrics`
    /// (e.g. a load test against something else).
    public static func observe<T: Sendable>(port: Int, during body: () async throws -> T) async throws -> (T, ServerMetricsSummary?) {
        try await self.observe([ServerInstance(name: nil, port: port)], during: body)
    }

    /// Reads every instance's `/metrics` once a second until `body` returns (or throws: the sampling never
    /// outlives it), and adds them up. Instances that do not answer before and after are left out; nil when
    /// none does.
    public static func observe<T: Sendable>(
        _ instances: [ServerInstance],
        during body: () async throws -> T
    ) async throws -> (T, ServerMetricsSummary?) {
        let before = await ServerMetrics.fetch(instances)
        // Each instance's samples carry its name (`instance="c"`, as Prometheus labels what it scrapes), so a
        // check can single one out; sums over every instance are unchanged.
        @Sendable func labelled(_ metrics: ServerMetrics, _ instance: ServerInstance) -> ServerMetrics {
            guard let name = instance.name else { return metrics }
            return ServerMetrics(
                samples: metrics.samples.map { sample in
                    var sample = sample
                    if sample.labels["instance"] == nil { sample.labels["instance"] = name }
                    return sample
                }
            )
        }
        let peaks = Peaks()
        let result = try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                while !Task.isCancelled {
                    // Instances' gauges at the same moment, added up: the peak of the whole fleet.
                    let now = ServerMetrics(
                        samples: zip(instances, await ServerMetrics.fetch(instances)).compactMap { instance, metrics in
                            metrics.map { labelled($0, instance) }
                        }.flatMap(\.samples)
                    )
                    peaks.value.withLock {
                        $0.inUse = max($0.inUse, now.sum("db_pool_connections_in_use"))
                        $0.waiting = max($0.waiting, now.sum("db_pool_requests_waiting"))
                        $0.snapshots.append(now)
                    }
                    try? await Task.sleep(for: .seconds(1))
                }
            }
            defer { group.cancelAll() }
            return try await body()
        }
        let after = await ServerMetrics.fetch(instances)
        var pairs: [(instance: ServerInstance, before: ServerMetrics, after: ServerMetrics)] = []
        for (index, instance) in instances.enumerated() {
            if let earlier = before[index], let later = after[index] {
                pairs.append((instance, labelled(earlier, instance), labelled(later, instance)))
            }
        }
        guard !pairs.isEmpty else { return (result, nil) }
        let (inUse, waiting, snapshots) = peaks.value.withLock { ($0.inUse, $0.waiting, $0.snapshots) }
        var summary = ServerMetricsSummary(
            before: ServerMetrics(samples: pairs.flatMap(\.before.samples)),
            after: ServerMetrics(samples: pairs.flatMap(\.after.samples)),
            peakInUse: inUse,
            peakWaiting: waiting
        )
        summary.during = snapshots
        for pair in pairs {
            guard let name = pair.instance.name else { continue }
            summary.requestsByInstance[name] = Self.requestsAnswered(before: pair.before, after: pair.after)
        }
        return (result, summary)
    }
}

/// The highest gauges seen while sampling, shared with the sampling task.
private final class Peaks: Sendable {
    let value = Mutex((inUse: 0.0, waiting: 0.0, snapshots: [ServerMetrics]()))
}
