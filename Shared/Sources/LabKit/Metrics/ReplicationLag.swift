import Foundation

/// How far the scenario's streaming replica was behind its primary during a load, as the primary sees it in
/// `pg_stat_replication`: in seconds (`replay_lag`, the time between a commit on the primary and its replay on
/// the replica) and in bytes of write-ahead log not yet replayed. Sampled every 250 ms, each sample on a short
/// administrator connection of the primary (a query of a statistics view: nothing the server under test waits
/// for, though each sample costs the primary a connection; one held for the whole load would be cheaper).
///
/// `./lab load` and `./lab check` print it for a scenario with a `postgres-replica` service (07): lag is what
/// makes a user's own write missing from a page read on the replica, and it is invisible from the server's
/// side, where every query simply succeeds.
public struct ReplicationLag: Sendable {
    public var samples = 0
    /// Samples in which no replica was connected (stopped, or reconnecting).
    public var samplesWithoutReplica = 0
    public var peakSeconds = 0.0
    public var meanSeconds = 0.0
    public var peakBytes = 0.0

    public init(samples: Int = 0, samplesWithoutReplica: Int = 0, peakSeconds: Double = 0, meanSeconds: Double = 0, peakBytes: Double = 0) {
        self.samples = samples
        self.samplesWithoutReplica = samplesWithoutReplica
        self.peakSeconds = peakSeconds
        self.meanSeconds = meanSeconds
        self.peakBytes = peakBytes
    }

    /// One line for a report, or nil when nothing was sampled.
    public func render() -> String? {
        guard self.samples > 0 else { return nil }
        guard self.samples > self.samplesWithoutReplica else {
            return "Replica behind (replication lag)  no replica was connected to the primary during the load"
        }
        var line = String(
            format: "Replica behind (replication lag)  peak %.2f s, mean %.2f s; at most %@ of WAL not yet replayed",
            self.peakSeconds,
            self.meanSeconds,
            Self.bytes(self.peakBytes)
        )
        if self.samplesWithoutReplica > 0 {
            line += String(
                format: " (no replica connected in %.0f%% of the samples)",
                Double(self.samplesWithoutReplica) / Double(self.samples) * 100
            )
        }
        return line
    }

    static func bytes(_ value: Double) -> String {
        if value >= 1_048_576 { return String(format: "%.1f MB", value / 1_048_576) }
        if value >= 1024 { return String(format: "%.0f KB", value / 1024) }
        return String(format: "%.0f bytes", value)
    }

    /// Whether `scenario` runs a streaming replica, so that its lag is worth measuring.
    public static func applies(to scenario: Scenario) -> Bool {
        (scenario.manifest.services ?? []).contains { $0.kind == PostgresReplicaService.kind }
    }

    /// Runs `body` while sampling the lag of `scenario`'s replica every 250 ms; nil lag for a scenario without one.
    public static func observe<T: Sendable>(
        _ scenario: Scenario,
        database: LabDatabase,
        during body: () async throws -> T
    ) async throws -> (T, ReplicationLag?) {
        guard Self.applies(to: scenario) else { return (try await body(), nil) }
        let (stream, stop) = AsyncStream.makeStream(of: Void.self)
        async let sampled: ReplicationLag = {
            let url = try? database.adminURL()
            let sampling = Task { () -> ReplicationLag in
                var lag = ReplicationLag()
                var sum = 0.0
                while !Task.isCancelled {
                    if let url, let row = try? await database.strings(Self.query, at: url).first {
                        let fields = row.split(separator: " ").compactMap { Double($0) }
                        if fields.count == 3 {
                            lag.samples += 1
                            if fields[2] == 0 {
                                lag.samplesWithoutReplica += 1
                            } else {
                                lag.peakSeconds = max(lag.peakSeconds, fields[0])
                                lag.peakBytes = max(lag.peakBytes, fields[1])
                                sum += fields[0]
                            }
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(250))
                }
                let connected = lag.samples - lag.samplesWithoutReplica
                if connected > 0 { lag.meanSeconds = sum / Double(connected) }
                return lag
            }
            for await _ in stream {}
            sampling.cancel()
            return await sampling.value
        }()
        do {
            let value = try await body()
            stop.finish()
            return (value, await sampled)
        } catch {
            stop.finish()
            _ = await sampled
            throw error
        }
    }

    /// Seconds behind, bytes behind, replicas connected. `replay_lag` is NULL once a replica has caught up and
    /// nothing new was written: no lag.
    static let query = """
        SELECT concat_ws(' ', coalesce(extract(epoch FROM max(replay_lag)), 0)::float8,
                              coalesce(max(pg_wal_lsn_diff(pg_current_wal_lsn(), replay_lsn)), 0)::float8, count(*))
        FROM pg_stat_replication
        """
}
