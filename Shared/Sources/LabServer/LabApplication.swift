import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// The HTTP listener every scenario server is built on: one router shape, one set of metrics, one way to run.
///
/// A scenario only adds its own routes between ``makeRouter()`` and ``makeApplication(router:configuration:services:logger:)``:
///
/// ```swift
/// let router = LabApplication.makeRouter()
/// router.get("/users/{id}") { request, context in ... }
/// let app = LabApplication.makeApplication(router: router, configuration: configuration, services: [pool], logger: logger)
/// try await app.runService()
/// ```
///
/// `runService()` shuts down gracefully on SIGTERM and SIGINT: the listener stops accepting, requests in
/// flight finish, then the services (the database pool) close, in that order.
public enum LabApplication {
    /// A router with `/metrics`, the request-metrics and error middleware (``ServiceErrorMiddleware``), and `/health`.
    ///
    /// `/metrics` is registered before the metrics middleware on purpose, so Prometheus scraping every few
    /// seconds does not show up as traffic. Routes added to the returned router are all instrumented.
    public static func makeRouter() -> Router<BasicRequestContext> {
        LabMetrics.bootstrap()
        let router = Router()
        router.get("/metrics") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: LabMetrics.exposition()))
            )
        }
        router.addMiddleware {
            RequestMetricsMiddleware()
            ErrorMessageMiddleware()
            ServiceErrorMiddleware()
        }
        router.get("/health") { _, _ in "ok\n" }
        return router
    }

    /// The application for `router`, listening where `configuration` says, running `services` (for example a
    /// ``DatabasePool``) alongside the server.
    ///
    /// When the configuration names an instance (several run behind a load balancer), every answer carries
    /// an `X-Instance` header and every log line the instance's name, so a learner can see which instance
    /// answered what.
    public static func makeApplication(
        router: Router<BasicRequestContext>,
        configuration: LabServerConfiguration,
        services: [any Service] = [],
        logger: Logger
    ) -> some ApplicationProtocol {
        var configuredLogger = logger
        configuredLogger.logLevel = configuration.logLevel
        if let instance = configuration.instanceName { configuredLogger[metadataKey: "instance"] = "\(instance)" }
        let logger = configuredLogger
        return Application(
            responder: InstanceHeaderResponder(base: router.buildResponder(), instance: configuration.instanceName),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port)),
            services: services,
            onServerRunning: { _ in
                logger.notice("listening on http://\(configuration.host):\(configuration.port) (database \(configuration.databaseURL))")
            },
            logger: logger
        )
    }
}

/// Adds `X-Instance: <name>` to every answer when the server is one of several instances, so `curl -i`
/// through the load balancer shows which instance answered. It wraps the router's responder (not a
/// middleware: Hummingbird binds middleware to routes as they are registered, and the scenario's routes are
/// registered before the application is made).
struct InstanceHeaderResponder<Base: HTTPResponder>: HTTPResponder where Base.Context: RequestContext {
    let base: Base
    let instance: String?

    func respond(to request: Request, context: Base.Context) async throws -> Response {
        guard let instance = self.instance else { return try await self.base.respond(to: request, context: context) }
        var response: Response
        do {
            response = try await self.base.respond(to: request, context: context)
        } catch let error as any HTTPResponseError {
            // Errors become responses further out; do it here so they carry the header too. Every error
            // reaches here as an HTTPResponseError: ErrorMessageMiddleware turns the unexpected ones into 500s.
            response = try error.response(from: request, context: context)
        }
        response.headers[Self.header] = instance
        return response
    }

    static var header: HTTPField.Name { HTTPField.Name("X-Instance")! }
}
