import Foundation
import Hummingbird

/// A page as the JSON text it is sent as. Redis stores text, so the server caches the encoded page and sends the
/// cached text as it is: a hit costs no database query and no encoding.
struct CachedPage: ResponseGenerator {
    var json: String

    func response(from request: Request, context: some RequestContext) throws -> Response {
        Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: self.json))
        )
    }

    /// The JSON text of `page`, exactly as the server sends pages it does not cache (dates as ISO 8601 text,
    /// `2026-05-31T23:49:19Z`, like Hummingbird's own encoder; a plain `JSONEncoder()` would write seconds since 2001).
    static func encode(_ page: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        return String(decoding: try encoder.encode(page), as: UTF8.self)
    }
}
