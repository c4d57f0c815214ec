import Hummingbird
import LabServer
import Logging
import PostgresNIO

/// FIX: one place that decides, for every query, which database runs it, instead of each route picking a pool.
///
/// - Writes go to the primary, and say where they ended in its write-ahead log (``write(_:)``).
/// - Reads go to the replica, unless the user has just written something the replica has not replayed yet
///   (read your own writes, ``read(after:_:)``): then the primary, which has it.
/// - The replica's trouble is not the user's: when it is down, or a query on it fails (cancelled "due to conflict
///   with recovery", a connection lost as it stops), the read runs again on the primary. When the replica is back,
///   reads go back to it by themselves. A replica that is only busy (its pool's wait timed out) is not bypassed:
///   that would pour its overload onto the primary.
struct Databases: Sendable {
    let primary: DatabasePool
    let replica: DatabasePool
    let replicaPosition: ReplicaPosition
    let logger: Logger

    /// Runs a read on the replica, or on the primary when the replica cannot serve it right.
    /// - Parameter wrote: where the user's last write ended (their cookie), if they wrote recently.
    func read<Result: Sendable>(
        after wrote: WrotePosition? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        // The replica has not replayed the user's write yet (or its position is unknown): only the primary has it.
        if let wrote, self.replicaPosition.current < wrote.position {
            return try await self.primary.withConnection(body)
        }
        // The replica is known to be down: do not even try (no 503 after a wait, no error in the log per request).
        if self.replica.knowsDatabaseIsUnusable {
            return try await self.primary.withConnection(body)
        }
        do {
            return try await self.replica.withConnection(body)
        } catch let error as HTTPError {
            throw error  // a 404 is an answer, not the replica's trouble
        } catch let error as DatabaseUnavailableError where error.isPoolTimeout {
            // Every replica connection was busy for the whole wait: the replica is overloaded, not gone. The same
            // read on the primary would only move the overload onto the database that takes the writes.
            throw error
        } catch {
            self.logger.debug("read failed on the replica, running it on the primary: \(String(reflecting: error))")
            return try await self.primary.withConnection(body)
        }
    }

    /// Runs a write on the primary; returns its result and the write-ahead log position after it, for the user's
    /// cookie. `body` must commit before it returns (a transaction of its own, or a single statement).
    func write<Result: Sendable>(
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> (Result, WrotePosition?) {
        try await self.primary.withConnection { connection in
            let result = try await body(connection)
            let position = try await connection.query("SELECT pg_current_wal_lsn()::text", logger: self.logger)
                .collect().first?.decode(String.self)
            return (result, position.flatMap(WrotePosition.init))
        }
    }
}
