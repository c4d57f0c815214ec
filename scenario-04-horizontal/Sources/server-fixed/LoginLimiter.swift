import LabServer

/// Stops password guessing: after 3 failed logins for one email within a minute, every login for that email
/// gets a 429 ("too many requests") until the minute is over.
///
/// FIX 4 - the failures are counted in PostgreSQL, one counter per email that every instance adds to.
///   Before, each instance counted in its own memory. With two instances, the guesses alternated between
///   them: a saw guesses 1 and 3, b saw 2 and 4, neither ever reached 3, and the fourth guess went through.
///   The limit was really 3 × the number of instances, per minute: the more servers, the weaker it got.
///   The counter is updated with one statement (an "upsert"), so two instances counting at the same moment
///   cannot both read 2 and both write 3: PostgreSQL does them one after the other.
struct LoginLimiter: Sendable {
    static let maxFailures = 3
    let database: DatabasePool

    /// False when `email` already has 3 failures in its current minute.
    func allows(_ email: String) async throws -> Bool {
        let rows = try await self.database.withConnection { connection in
            try await connection.query(
                named: "login_failures",
                "SELECT failures FROM login_limits WHERE email = \(email) AND window_start > now() - interval '1 minute'"
            )
        }
        return try (rows.first?.decode(Int.self) ?? 0) < Self.maxFailures
    }

    /// Counts one failed login for `email`: +1 within its minute, or a new minute starting at 1.
    func recordFailure(_ email: String) async throws {
        _ = try await self.database.withConnection { connection in
            try await connection.query(
                named: "count_failure",
                """
                INSERT INTO login_limits AS l (email, window_start, failures) VALUES (\(email), now(), 1)
                ON CONFLICT (email) DO UPDATE SET
                    failures     = CASE WHEN l.window_start > now() - interval '1 minute' THEN l.failures + 1 ELSE 1 END,
                    window_start = CASE WHEN l.window_start > now() - interval '1 minute' THEN l.window_start ELSE now() END
                """
            )
        }
    }
}
