import Foundation
import HTTPTypes
import Hummingbird

/// What keeps the panel safe on a learner's machine, on every request:
/// - a state-changing request (anything but GET and HEAD) must carry the panel's CSRF token, in the
///   `X-CSRF-Token` header (the panel's script) or a `csrf` form field (a plain form); a page elsewhere in the
///   browser cannot read the token, so it cannot start a check or spend a hint;
/// - (no `Origin` check: behind Codespaces' port forwarding the panel sees another host than the browser, and
///   the token alone already proves the request came from one of the panel's own pages);
/// - every response says what a browser may do with it: scripts and styles from the panel only
///   (Content-Security-Policy), no sniffing of types, no framing by other sites.
public struct PanelSecurityMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: String

    public init(token: String) {
        self.token = token
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var request = request
        if request.method != .get && request.method != .head {
            var presented = request.headers[HTTPField.Name("X-CSRF-Token")!]
            if presented == nil {
                // A plain form: read its body (small) and look for the field, then hand the body on unchanged.
                let body = try await request.body.collect(upTo: 64 * 1024)
                request.body = RequestBody(buffer: body)
                presented = FormFields(String(buffer: body))["csrf"]
            }
            guard let presented, Self.constantTimeEqual(presented, self.token) else {
                return Self.refuse("This request has no valid CSRF token. Reload the panel's page and try again.")
            }
        }
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'self'; form-action 'self'"
        response.headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return response
    }

    static func refuse(_ message: String) -> Response {
        Response(
            status: .forbidden,
            headers: [.contentType: "text/plain; charset=utf-8"],
            body: .init(byteBuffer: ByteBuffer(string: message + "\n"))
        )
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let (x, y) = (Array(a.utf8), Array(b.utf8))
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for index in x.indices { difference |= x[index] ^ y[index] }
        return difference == 0
    }
}

/// The fields of an `application/x-www-form-urlencoded` body (`a=1&b=two+words`).
public struct FormFields: Sendable {
    public var values: [String: String] = [:]

    public init(_ body: String) {
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            guard let key = parts.first else { continue }
            self.values[decode(key)] = parts.count > 1 ? decode(parts[1]) : ""
        }
    }

    public subscript(_ name: String) -> String? { self.values[name] }
}
