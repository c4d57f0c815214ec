import Hummingbird

/// Gives every error answer a message. Hummingbird answers a path no route matches, or a body larger than a
/// route accepts, with a bare status and an empty body, which looks like a broken server to someone trying
/// the API with curl. Errors that already carry a message ("no user 42") pass through unchanged.
public struct ErrorMessageMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as any HTTPResponseError {
            // A bare HTTPError, or another error type that answers with an empty body (NIO's "too many bytes").
            if let error = error as? HTTPError {
                guard error.body == nil else { throw error }
                throw HTTPError(error.status, headers: error.headers, message: Self.message(error.status, request))
            }
            guard ((try? error.response(from: request, context: context))?.body.contentLength ?? 0) == 0 else { throw error }
            throw HTTPError(error.status, message: Self.message(error.status, request))
        }
    }

    static func message(_ status: HTTPResponse.Status, _ request: Request) -> String {
        switch status {
        case .notFound: "no route for \(request.method) \(request.uri.path): check the path and the method"
        case .contentTooLarge: "the request's body is larger than \(request.method) \(request.uri.path) accepts"
        default: "\(status.code) \(status.reasonPhrase)"
        }
    }
}
