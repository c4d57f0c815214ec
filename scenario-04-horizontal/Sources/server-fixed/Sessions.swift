import Hummingbird
import LabServer

/// Who is logged in: the session id from the member's cookie → their member id.
///
/// FIX 1 - sessions live in PostgreSQL, where every instance reads them.
///   Before, a dictionary in ONE instance's memory: a member who logged in on instance a was a stranger to
///   instance b, so every request that nginx sent to b got a 401, about every other one. (And a restart or
///   a deploy of a logged everybody on it out.)
///   Now the session is one row of the `sessions` table: created at login by whichever instance answers,
///   found by any instance afterwards. It costs one indexed lookup per request (well under a millisecond).
///   Other ways you will meet: a signed token in the cookie itself (JWT), which no server needs to look up,
///   and a shared in-memory store such as Redis (scenario 05). "Sticky sessions" at the load balancer are
///   not one of them: SCENARIO.md explains why.
struct Sessions: Sendable {
    let database: DatabasePool

    /// Starts a session for `memberID`, valid for a week, and returns its id for the session cookie.
    func start(memberID: Int) async throws -> String {
        let id = newSessionID()
        _ = try await self.database.withConnection { connection in
            try await connection.query(
                named: "start_session",
                "INSERT INTO sessions (id, member_id, expires_at) VALUES (\(id), \(memberID), now() + interval '7 days')"
            )
        }
        return id
    }

    /// The logged-in member, from the request's session cookie. 401 when there is none (or it expired).
    func memberID(for request: Request) async throws -> Int {
        guard let id = request.cookies["session"]?.value else { throw Self.notLoggedIn }
        let rows = try await self.database.withConnection { connection in
            try await connection.query(named: "find_session", "SELECT member_id FROM sessions WHERE id = \(id) AND expires_at > now()")
        }
        guard let memberID = try rows.first?.decode(Int.self) else { throw Self.notLoggedIn }
        return memberID
    }

    static let notLoggedIn = HTTPError(.unauthorized, message: "not logged in (or the session expired)")
}
