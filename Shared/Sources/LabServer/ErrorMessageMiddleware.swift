import Hummingbird

/// Gives every error answer a message. Hummingbird answers a path no route matches, a body larger than a
/// route accepts, or an error nobody expected (a 500), with a bare status and an empty body, which looks like
/// a dead server to someone trying the API with curl. Errors that already carry a message ("no user 42")
/// pass through unchanged.
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
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            // A bug: the error was not expected. The log has the details (ServiceErrorMiddleware logged it).
            throw HTTPError(.internalServerError, message: "the server failed on this request; its log says why")
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
