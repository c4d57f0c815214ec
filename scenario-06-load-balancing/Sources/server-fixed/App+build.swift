import Hummingbird
import LabServer
import Logging

// Parcelpost's tracking API, the reference version. The routes are the naive server's; what changed is how an
// instance tells the load balancer whether to send it traffic (GET /ready) and how it leaves (App.swift).
// Most of the fix is in the balancer's configuration: haproxy.fixed.cfg, every change explained there.

func buildApplication(
    _ configuration: LabServerConfiguration,
    database: DatabasePool,
    readiness: Readiness,
    logger: Logger
) throws -> some ApplicationProtocol {
    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // FIX (a health check that lies): GET /ready - 200 when this instance can serve (its database answers and
    // it is not shutting down), 503 with the reason otherwise. HAProxy's health check asks this, not /health.
    router.get("/ready") { _, _ -> Response in
        if let problem = await readiness.problem() {
            return Response(status: .serviceUnavailable, body: .init(byteBuffer: ByteBuffer(string: "not ready: \(problem)\n")))
        }
        return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "ready\n")))
    }

    // GET /parcels/PP00001234 - a parcel, its 10 latest scans, and how busy its depot was in the last day.
    router.get("/parcels/{code}") { _, context -> ParcelPage in
        let code = try context.parameters.require("code")
        return try await database.withConnection { connection in
            try await ParcelPage.load(code, on: connection)
        }
    }

    // POST /parcels/PP00001234/scans {"depotId": 7, "note": "sorted"} - a courier scanned the parcel.
    router.post("/parcels/{code}/scans") { request, context -> EditedResponse<Scan> in
        let code = try context.parameters.require("code")
        let scan = try await request.decode(as: NewScan.self, context: context).validated()
        let saved = try await database.withConnection { connection in
            try await Scan.insert(scan, parcel: code, on: connection)
        }
        return EditedResponse(status: .created, response: saved)
    }

    return LabApplication.makeApplication(router: router, configuration: configuration, services: [database], logger: logger)
}
