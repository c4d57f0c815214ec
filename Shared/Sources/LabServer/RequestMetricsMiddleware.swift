import Hummingbird
import Prometheus

/// Counts and times every request, including the ones whose handler throws.
///
/// Hummingbird ships a `MetricsMiddleware`, but it never times requests whose handler throws (exactly the
/// requests a learner needs to see when the database falls over) and names its counter without `_total`.
/// This one records `http_requests_total`, `http_request_duration_seconds` and `http_requests_in_flight`
/// for every outcome. Add it to the router *before* registering routes: Hummingbird binds middleware to
/// routes at registration time.
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: HTTPMetrics

    public init() {
        self.metrics = .shared
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        self.metrics.inFlight.increment()
        defer { self.metrics.inFlight.decrement() }
        do {
            let response = try await next(request, context)
            self.record(request, context, status: response.status, since: start)
            return response
        } catch {
            // The error is turned into a response further out; record the status it will become.
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            self.record(request, context, status: status, since: start)
            throw error
        }
    }

    private func record(_ request: Request, _ context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant) {
        // Requests that matched no route share one label value (Hummingbird's router names them "NotFound"),
        // so a scanner probing random paths cannot create thousands of series.
        let route = context.endpointPath ?? "unmatched"
        self.metrics.record(route: route, method: request.method, status: status, duration: ContinuousClock.now - start)
    }
}
