import Hummingbird
import LabServer
import Logging

// Tastebuds' API: restaurant reviews. People browse a city's restaurants and read reviews all day; now and then
// someone posts a review and checks it on their own page; the city team runs a heavy report. The primary was at
// 100% CPU, so a streaming replica was added last sprint and the page reads moved to it. Since then, users write
// in: "I posted a review and it's not there", and posting is still slow at peak. Find out what each query needs
// from the database it runs on.

func buildApplication(_ configuration: LabServerConfiguration) throws -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-07.server")

    // The primary: every write goes here, and it has every change the moment it is committed.
    let primary = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 10,
        acquireTimeout: configuration.poolTimeout ?? .seconds(2),
        logger: logger
    )
    // The replica: a copy of the primary kept up to date by streaming its changes (./lab status shows it). It
    // refuses writes. The lab sets REPLICA_DATABASE_URL; this default is the native lab's replica.
    let replica = DatabasePool(
        url: try configuration.replicaDatabaseURL ?? DatabaseURL("postgres://lab:lab@127.0.0.1:54330/scenario_07"),
        size: 10,
        acquireTimeout: .seconds(2),
        logger: logger
    )

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /cities/lisbon/restaurants - the city's 20 most reviewed restaurants, with their average rating.
    router.get("/cities/{city}/restaurants") { _, context -> CityPage in
        let city = try context.parameters.require("city")
        return try await replica.withConnection { connection in
            try await CityPage.load(city, on: connection)
        }
    }

    // GET /restaurants/42 - a restaurant and its 10 latest reviews.
    router.get("/restaurants/{id}") { _, context -> RestaurantPage in
        let id = try context.parameters.require("id", as: Int.self)
        return try await replica.withConnection { connection in
            try await RestaurantPage.load(id, on: connection)
        }
    }

    // POST /restaurants/42/reviews {"reviewer": 7, "rating": 5, "body": "Lovely"} - a new review, and the
    // restaurant's running totals, in one transaction.
    router.post("/restaurants/{id}/reviews") { request, context -> EditedResponse<Review> in
        let id = try context.parameters.require("id", as: Int.self)
        let new = try await request.decode(as: NewReview.self, context: context)
        let review = try await primary.withConnection { connection in
            try await new.save(restaurant: id, on: connection, logger: logger)
        }
        return EditedResponse(status: .created, response: review)
    }

    // GET /reviewers/7/reviews - a reviewer's own page: their 20 latest reviews.
    router.get("/reviewers/{id}/reviews") { _, context -> ReviewerPage in
        let id = try context.parameters.require("id", as: Int.self)
        return try await replica.withConnection { connection in
            try await ReviewerPage.load(id, on: connection)
        }
    }

    // GET /reports/top-restaurants?city=lisbon - the city team's report: the best rated restaurants of the last
    // year. It reads every review of the year (a few hundred thousand rows), so it takes a while.
    router.get("/reports/top-restaurants") { request, _ -> TopRestaurants in
        let city = try request.uri.queryParameters.require("city")
        return try await primary.withConnection { connection in
            try await TopRestaurants.load(city, on: connection)
        }
    }

    return LabApplication.makeApplication(router: router, configuration: configuration, services: [primary, replica], logger: logger)
}
