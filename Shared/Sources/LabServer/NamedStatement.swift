import PostgresNIO
import Synchronization

/// Runs a `PostgresQuery` (`"SELECT ... WHERE email = \(email)"`) as a prepared statement: each connection sends
/// PostgreSQL the SQL once, and afterwards only the statement's name and the values.
///
/// Why: postgres-nio's `query(_:)` sends every query as an unnamed statement, so PostgreSQL parses and analyses
/// the same SQL text again on every request, and the server encodes it and decodes its description again.
/// Measured on scenario 01's lookup (wrk, 100 connections, 2 cores): PostgreSQL spent 55 µs of CPU per request
/// that way, 42 µs with the statement prepared once per connection (issue 21's benchmark,
/// `Shared/bench/server-vs-pgbench-and-express.sh`, 3 interleaved rounds).
///
/// postgres-nio prepares statements only for types whose SQL is a static property (`PostgresPreparedStatement`),
/// while the scenario servers write their SQL inline, where a learner reads it. This bridges the two: the
/// statement's `name` and `sql` are read from a task-local value that ``run(_:on:)`` binds around the call.
/// That works because `PostgresConnection.execute(_:logger:)` reads both synchronously, in the calling task,
/// before anything else happens (postgres-nio 1.33.2; the lesson tests run every query path and would fail
/// loudly if a later version read them elsewhere).
///
/// **Plans stay the ones a learner sees.** A prepared statement lets PostgreSQL switch, after five runs, to a
/// generic plan made without the values, which can differ from what `EXPLAIN ANALYZE` with real values shows
/// (a pattern search, a skewed column). The lab's connections set `plan_cache_mode = force_custom_plan`
/// (``DatabaseURL/clientConfiguration(size:)``), so every run is planned with its values, as before; only the
/// parsing is saved. Measured on the same lookup with generic plans: 26 to 30 µs, the rest of the saving, left
/// on the table for fidelity.
struct NamedStatement: PostgresPreparedStatement {
    /// The SQL of the statement being executed and the name it is prepared under on every connection.
    struct Text: Sendable {
        var name: String
        var sql: String
    }

    @TaskLocal static var current = Text(name: "", sql: "")

    static var name: String { Self.current.name }
    static var sql: String { Self.current.sql }

    typealias Row = PostgresRow

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { self.bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }

    /// False inside ``NewConnectionPerRequest``: a statement prepared on a connection used once would cost a
    /// round trip more and save nothing, so those queries go out unnamed, as they always did.
    @TaskLocal static var connectionIsReused = true

    /// Runs `query` on `connection`, prepared under a name of its own the first time that connection sees its SQL.
    static func run(_ query: PostgresQuery, on connection: PostgresConnection) async throws -> [PostgresRow] {
        guard Self.connectionIsReused, let name = StatementNames.shared.name(for: query.sql) else {
            return try await connection.query(query, logger: connection.logger).collect()
        }
        return try await Self.$current.withValue(Text(name: name, sql: query.sql)) {
            var rows: [PostgresRow] = []
            for try await row in try await connection.execute(NamedStatement(bindings: query.binds), logger: connection.logger) {
                rows.append(row)
            }
            return rows
        }
    }
}

/// One statement name per distinct SQL text, for the whole process (`lab_1`, `lab_2`...), so two queries never
/// share a name whatever their metric names are.
///
/// Bounded: SQL built from changing text (`PostgresQuery(unsafeSQL:)` with values pasted in) would otherwise
/// prepare a new statement on every connection for ever; past ``limit`` texts, new ones run unnamed.
final class StatementNames: Sendable {
    static let shared = StatementNames()
    static let limit = 500

    private let names = Mutex<[String: String]>([:])

    func name(for sql: String) -> String? {
        self.names.withLock { names in
            if let name = names[sql] { return name }
            guard names.count < Self.limit else { return nil }
            let name = "lab_\(names.count + 1)"
            names[sql] = name
            return name
        }
    }
}
