import LabServer
import Logging
import ServiceLifecycle

/// Starts one instance of the parcel-tracking server. The routes are in `App+build.swift`.
@main
struct App {
    static func main() async throws {
        let configuration = LabServerConfiguration.loadOrExit(defaultDatabase: "scenario_06")
        let logger = configuration.makeLogger(label: "scenario-06.server")
        let database = DatabasePool(
            url: configuration.databaseURL,
            size: configuration.poolSize ?? 10,
            acquireTimeout: configuration.poolTimeout ?? .seconds(2),
            logger: logger
        )
        let readiness = Readiness(database: database)
        let app = try buildApplication(configuration, database: database, readiness: readiness, logger: logger)

        // FIX (deploys drop requests): `app.run()` installed no signal handler, so the SIGTERM a deploy sends
        // killed the process on the spot: requests in flight got a closed connection, and HAProxy kept sending
        // new ones until its health check noticed, seconds later. Now SIGTERM starts a graceful shutdown, in
        // this order (a ServiceGroup shuts its services down last one first):
        //   1. DrainBeforeShutdown: /ready answers 503 while everything else keeps working, for long enough that
        //      HAProxy's health checks take the instance out of rotation (no new requests arrive);
        //   2. the HTTP server: stops accepting, finishes the requests in flight;
        //   3. the database pool closes (inside the application, after its server).
        // Then the process exits, and the deploy starts the new version.
        let group = ServiceGroup(
            configuration: .init(
                services: [app, DrainBeforeShutdown(readiness: readiness, seconds: 2, logger: logger)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
