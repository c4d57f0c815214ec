import Foundation
import Hummingbird
import Synchronization

/// Who is logged in: the session id from the member's cookie → their member id.
///
/// A dictionary in this server's memory: simple and fast.
final class Sessions: Sendable {
    private let memberIDs = Mutex<[String: Int]>([:])

    /// Starts a session for `memberID` and returns its id, for the session cookie.
    func start(memberID: Int) -> String {
        let id = newSessionID()
        self.memberIDs.withLock { $0[id] = memberID }
        return id
    }

    /// The logged-in member, from the request's session cookie. 401 when there is none.
    func memberID(for request: Request) throws -> Int {
        guard let id = request.cookies["session"]?.value, let memberID = self.memberIDs.withLock({ $0[id] }) else {
            throw HTTPError(.unauthorized, message: "not logged in (no such session here)")
        }
        return memberID
    }
}
