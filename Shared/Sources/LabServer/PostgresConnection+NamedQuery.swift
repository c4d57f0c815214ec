import PostgresNIO
import Prometheus

extension PostgresConnection {
    /// Runs `query`, reads all its rows, and records its duration as `db_query_duration_seconds{query=name}`.
    ///
    /// Values interpolated into `query` are sent as bound parameters (`$1`, `$2`...), never pasted into the
    /// SQL text, so they cannot change the statement (no SQL injection). Each connection prepares the SQL once
    /// and reuses it (``NamedStatement``): PostgreSQL does not parse the same text again on every request.
    /// - Parameters:
    ///   - name: a short stable name for dashboards, e.g. `user_by_email`.
    ///   - query: the SQL, e.g. `"SELECT ... WHERE email = \(email)"`.
    public func query(named name: String, _ query: PostgresQuery) async throws -> [PostgresRow] {
        let start = ContinuousClock.now
        let rows = try await NamedStatement.run(query, on: self)
        DatabaseMetrics.shared.recordQuery(name: name, duration: ContinuousClock.now - start)
        return rows
    }
}
