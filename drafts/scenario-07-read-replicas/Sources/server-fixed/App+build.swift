import Hummingbird
import LabServer
import Logging

// Tastebuds' API, fixed. What changed, and why (each FIX comment says more):
//  1. The report runs on the replica: it reads hundreds of thousands of rows, and on the primary it held
//     connections and CPU that the writes were waiting for. Reports can be a fraction of a second behind.
//  2. Read your own writes: a review's answer carries a cookie with the position its write ended at in the
//     primary's write-ahead log; that user's reads go to the primary until the replica has replayed it.
//  3. The replica going away is not an outage: reads fall back to the primary, and return to the replica when it
//     is back (Databases.swift).
//  4. Reports are no longer cancelled on the replica: that fix is in replica.conf (hot_standby_feedback), not here.

func buildApplication(_ configuration: LabServerConfiguration) throws -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-07.server-fixed")

    let primary = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 10,
        acquireTimeout: configuration.poolTimeout ?? .seconds(2),
        logger: logger
    )
    let replicaURL = try configuration.replicaDatabaseURL ?? DatabaseURL("postgres://lab:lab@127.0.0.1:54330/scenario_07")
    let replica = DatabasePool(url: replicaURL, size: 10, acquireTimeout: .seconds(2), logger: logger)
    // FIX (2): how far the replica has replayed, on a connection of its own.
    let replicaPosition = ReplicaPosition(replica: replicaURL, logger: logger)
    let databases = Databases(primary: primary, replica: replica, replicaPosition: replicaPosition, logger: logger)

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /cities/lisbon/restaurants - the city's 20 most reviewed restaurants, with their average rating.
    // Anyone's page: a fraction of a second behind is fine, so the replica serves it (the primary if it is down).
    router.get("/cities/{city}/restaurants") { _, context -> CityPage in
        let city = try context.parameters.require("city")
        return try await databases.read { connection in
            try await CityPage.load(city, on: connection)
        }
    }

    // GET /restaurants/42 - a restaurant and its 10 latest reviews. FIX (2): a user who just reviewed it sees
    // their review there too.
    router.get("/restaurants/{id}") { request, context -> RestaurantPage in
        let id = try context.parameters.require("id", as: Int.self)
        return try await databases.read(after: WrotePosition(request)) { connection in
            try await RestaurantPage.load(id, on: connection)
        }
    }

    // POST /restaurants/42/reviews {"reviewer": 7, "rating": 5, "body": "Lovely"} - a new review, and the
    // restaurant's running totals, in one transaction. FIX (2): the answer sets the wrote_at cookie.
    router.post("/restaurants/{id}/reviews") { request, context -> EditedResponse<Review> in
        let id = try context.parameters.require("id", as: Int.self)
        let new = try await request.decode(as: NewReview.self, context: context)
        let (review, wrote) = try await databases.write { connection in
            try await new.save(restaurant: id, on: connection, logger: logger)
        }
        return EditedResponse(status: .created, headers: wrote?.header ?? [:], response: review)
    }

    // GET /reviewers/7/reviews - a reviewer's own page. FIX (2): after posting, the review is on it at once:
    // from the primary until the replica has replayed the write, from the replica afterwards.
    router.get("/reviewers/{id}/reviews") { request, context -> ReviewerPage in
        let id = try context.parameters.require("id", as: Int.self)
        return try await databases.read(after: WrotePosition(request)) { connection in
            try await ReviewerPage.load(id, on: connection)
        }
    }

    // GET /reports/top-restaurants?city=lisbon - the city team's report. FIX (1): on the replica, where its
    // seconds of reading compete with other reads, not with the writes. If the replica is down it runs on the
    // primary: slower for everyone for a while, but answered.
    router.get("/reports/top-restaurants") { request, _ -> TopRestaurants in
        let city = try request.uri.queryParameters.require("city")
        return try await databases.read { connection in
            try await TopRestaurants.load(city, on: connection)
        }
    }

    return LabApplication.makeApplication(
        router: router,
        configuration: configuration,
        services: [primary, replica, replicaPosition],
        logger: logger
    )
}
