import Hummingbird
import Logging
import PostgresNIO

/// An error that means "a real component this request needs is not there right now" and already answers
/// `503` with a message a learner can act on. A client library whose own error type says exactly that
/// conforms (LabRedis's `RedisUnavailableError`), and the router's ``ServiceErrorMiddleware`` logs it as one
/// warning line instead of a failed request: a server that uses PostgreSQL and Redis adds no middleware of its own.
public protocol ServiceUnavailableError: HTTPResponseError {
    var message: String { get }
}

/// Maps errors of the real components thrown by handlers to answers a user can act on: "the database is
/// gone" to ``DatabaseUnavailableError`` (503), a value PostgreSQL rejected to ``DatabaseInputError`` (400),
/// any ``ServiceUnavailableError`` (Redis down) to its own 503. The server keeps running and recovers by
/// itself: the pools reconnect, per-request connections simply succeed again once the component is back.
/// Anything else is a bug and is logged as an error (``ErrorMessageMiddleware`` turns it into a 500 with a message).
public struct ServiceErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    public init() {}

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let unavailable as any ServiceUnavailableError {
            context.logger.warning("\(unavailable.message)")
            throw unavailable
        } catch let transaction as PostgresTransactionError where transaction.closureError is any HTTPResponseError {
            // The handler answered from inside a transaction (a 502 when the payment failed): the transaction
            // was rolled back, and its answer stands.
            throw transaction.closureError!
        } catch {
            if let unavailable = DatabaseUnavailableError.from(error) {
                context.logger.log(level: unavailable.isKnownOutage ? .debug : .warning, "\(unavailable.message)")
                throw unavailable.httpError
            }
            if let input = DatabaseInputError.from(error) {
                context.logger.info("\(input.message)")
                throw input.httpError
            }
            // A cancelled request (the server is shutting down) is not a bug worth an error line.
            if !(error is any HTTPResponseError) && !(error is CancellationError) {
                context.logger.error("request failed: \(String(reflecting: error))")
            }
            throw error
        }
    }
}
