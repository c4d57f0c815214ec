import Foundation
import Hummingbird

/// FIX (read your own writes): where in the primary's write-ahead log a user's last write ended, carried in a
/// cookie (`wrote_at=0/3A2F1C8`) so that the user's next requests, to any instance of the server, know it.
///
/// The cookie lives a minute: long after any replica worth reading from has caught up. It holds no secret; a
/// user who forges one only sends their own reads to the primary.
struct WrotePosition {
    static let cookieName = "wrote_at"
    static let lifetimeSeconds = 60

    var text: String
    var position: UInt64

    /// The position a request's cookie carries, if any.
    init?(_ request: Request) {
        guard let text = request.cookies[Self.cookieName]?.value, let position = ReplicaPosition.parse(text) else { return nil }
        (self.text, self.position) = (text, position)
    }

    init?(_ text: String) {
        guard let position = ReplicaPosition.parse(text) else { return nil }
        (self.text, self.position) = (text, position)
    }

    /// The `Set-Cookie` header of an answer to a write.
    var header: HTTPFields {
        let cookie = Cookie(
            name: Self.cookieName,
            value: self.text,
            maxAge: Self.lifetimeSeconds,
            path: "/",
            httpOnly: true,
            sameSite: .lax
        )
        return [.setCookie: cookie.description]
    }
}
