import LabServer
import Logging
import PostgresNIO
import ServiceLifecycle
import Synchronization

/// How far the replica has replayed the primary's changes, as a position in the write-ahead log (an LSN), read
/// 50 times a second. FIX (read your own writes): a user who just wrote is sent to the replica only once it has
/// replayed their write (``Databases/read(after:_:)``).
///
/// Why a position and not a time: every change the primary commits ends at a position in its write-ahead log
/// (`pg_current_wal_lsn()`, shown as `0/3A2F1C8`), and the replica reports the last position it has replayed
/// (`pg_last_wal_replay_lsn()`). If the replica's position is at or past the user's, their write is on the
/// replica, whatever the lag. A time window ("read from the primary for 5 s after a write") is simpler and also
/// works, as long as the replica is never further behind than the window.
///
/// One connection of its own, asked every 20 ms: a request never waits for it. When the replica cannot be
/// asked (stopped, restarting), the position is unknown (0) and every user who has written reads from the
/// primary.
final class ReplicaPosition: Service, Sendable {
    let pool: DatabasePool
    let logger: Logger
    private let replayed = Atomic<UInt64>(0)

    init(replica: DatabaseURL, logger: Logger) {
        self.pool = DatabasePool(url: replica, size: 1, logger: logger)
        self.logger = logger
    }

    /// The last position the replica is known to have replayed; 0 when unknown.
    var current: UInt64 { self.replayed.load(ordering: .relaxed) }

    func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { try await self.pool.run() }
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    // Unknown (0) while the replica cannot be asked: users who wrote then read from the primary.
                    let position: String? =
                        (try? await self.pool.withConnection { connection in
                            try await connection.query("SELECT pg_last_wal_replay_lsn()::text", logger: self.logger)
                                .collect().first?.decode(String?.self)
                        }) ?? nil
                    self.replayed.store(position.flatMap(Self.parse) ?? 0, ordering: .relaxed)
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }
            group.cancelAll()
        }
    }

    /// `0/3A2F1C8` → 0x3A2F1C8: the high and low 32 bits of a 64-bit position, in hexadecimal.
    static func parse(_ text: String) -> UInt64? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let high = UInt64(parts[0], radix: 16), let low = UInt64(parts[1], radix: 16) else { return nil }
        return high << 32 | low
    }
}
