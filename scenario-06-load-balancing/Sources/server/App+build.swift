import Hummingbird
import LabServer
import Logging

// Parcelpost's tracking API. People track their parcels (many reads), couriers scan them (a few writes). It
// runs as three instances behind HAProxy, and they share nothing but PostgreSQL: any instance can answer any
// request. Each query has its index. Yet users see errors and slow pages, when one instance is slower than the
// others, when one hangs, during every deploy, when one loses its database. Look at the balancer.

func buildApplication(_ configuration: LabServerConfiguration) throws -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-06.server")

    // 10 connections for 2 CPU cores, as scenario 03 taught (DATABASE_POOL_SIZE=... replaces the number).
    let database = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 10,
        acquireTimeout: configuration.poolTimeout ?? .seconds(2),
        logger: logger
    )

    let router = LabApplication.makeRouter()  // adds /health and /metrics

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
