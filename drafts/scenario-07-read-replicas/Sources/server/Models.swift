import Foundation
import Hummingbird
import LabServer
import Logging
import PostgresNIO

/// `GET /cities/{city}/restaurants`: the city's most reviewed restaurants.
struct CityPage: ResponseEncodable {
    var city: String
    var restaurants: [RestaurantSummary]

    static func load(_ city: String, on connection: PostgresConnection) async throws -> CityPage {
        let rows = try await connection.query(
            named: "city_restaurants",
            """
            SELECT id, name, cuisine, review_count, rating_total FROM restaurants
            WHERE city = \(city) ORDER BY review_count DESC, id LIMIT 20
            """
        )
        let restaurants = try rows.map(RestaurantSummary.init)
        guard !restaurants.isEmpty else { throw HTTPError(.notFound, message: "no restaurants in '\(city)'") }
        return CityPage(city: city, restaurants: restaurants)
    }
}

struct RestaurantSummary: ResponseEncodable {
    var id: Int
    var name: String
    var cuisine: String
    var reviews: Int
    var averageRating: Double?

    /// Columns: id, name, cuisine, review_count, rating_total.
    init(_ row: PostgresRow) throws {
        let (id, name, cuisine, count, total) = try row.decode((Int, String, String, Int, Int).self)
        (self.id, self.name, self.cuisine, self.reviews) = (id, name, cuisine, count)
        self.averageRating = count > 0 ? (Double(total) / Double(count) * 100).rounded() / 100 : nil
    }
}

/// `GET /restaurants/{id}`: a restaurant, its rating and its latest reviews.
struct RestaurantPage: ResponseEncodable {
    var restaurant: RestaurantSummary
    var city: String
    var latestReviews: [Review]

    static func load(_ id: Int, on connection: PostgresConnection) async throws -> RestaurantPage {
        let rows = try await connection.query(
            named: "restaurant",
            "SELECT id, name, cuisine, review_count, rating_total, city FROM restaurants WHERE id = \(id)"
        )
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no restaurant \(id)") }
        let latest = try await connection.query(
            named: "restaurant_latest_reviews",
            """
            SELECT v.id, v.restaurant_id, v.reviewer_id, p.name, v.rating, v.body, v.created_at
            FROM reviews v JOIN reviewers p ON p.id = v.reviewer_id
            WHERE v.restaurant_id = \(id) ORDER BY v.created_at DESC LIMIT 10
            """
        )
        return RestaurantPage(
            restaurant: try RestaurantSummary(row),
            city: try row.decode((Int, String, String, Int, Int, String).self).5,
            latestReviews: try latest.map(Review.init)
        )
    }
}

struct Review: ResponseEncodable {
    var id: Int
    var restaurantId: Int
    var reviewerId: Int
    var reviewer: String
    var rating: Int
    var body: String
    var createdAt: Date

    /// Columns: id, restaurant_id, reviewer_id, the reviewer's name, rating, body, created_at.
    init(_ row: PostgresRow) throws {
        (self.id, self.restaurantId, self.reviewerId, self.reviewer, self.rating, self.body, self.createdAt) =
            try row.decode((Int, Int, Int, String, Int, String, Date).self)
    }
}

/// `GET /reviewers/{id}/reviews`: a reviewer's own page.
struct ReviewerPage: ResponseEncodable {
    var reviewerId: Int
    var name: String
    var reviews: [Review]

    static func load(_ id: Int, on connection: PostgresConnection) async throws -> ReviewerPage {
        let people = try await connection.query(named: "reviewer", "SELECT name FROM reviewers WHERE id = \(id)")
        guard let person = people.first else { throw HTTPError(.notFound, message: "no reviewer \(id)") }
        let reviews = try await connection.query(
            named: "reviewer_reviews",
            """
            SELECT v.id, v.restaurant_id, v.reviewer_id, p.name, v.rating, v.body, v.created_at
            FROM reviews v JOIN reviewers p ON p.id = v.reviewer_id
            WHERE v.reviewer_id = \(id) ORDER BY v.created_at DESC LIMIT 20
            """
        )
        return ReviewerPage(reviewerId: id, name: try person.decode(String.self), reviews: try reviews.map(Review.init))
    }
}

/// `GET /reports/top-restaurants?city=...`: the best rated restaurants of a city over the last year.
struct TopRestaurants: ResponseEncodable {
    var city: String
    var restaurants: [Entry]

    struct Entry: ResponseEncodable {
        var id: Int
        var name: String
        var reviews: Int
        var averageRating: Double
    }

    /// Every review of the year in the city, grouped by restaurant: the heavy query of this app.
    static func load(_ city: String, on connection: PostgresConnection) async throws -> TopRestaurants {
        let rows = try await connection.query(
            named: "top_restaurants",
            """
            SELECT r.id, r.name, count(*)::int8, round(avg(v.rating), 2)::float8
            FROM reviews v JOIN restaurants r ON r.id = v.restaurant_id
            WHERE r.city = \(city) AND v.created_at >= now() - interval '365 days'
            GROUP BY r.id, r.name HAVING count(*) >= 20
            ORDER BY 4 DESC, 3 DESC, r.id LIMIT 10
            """
        )
        let entries = try rows.map { row in
            let (id, name, count, average) = try row.decode((Int, String, Int, Double).self)
            return Entry(id: id, name: name, reviews: count, averageRating: average)
        }
        return TopRestaurants(city: city, restaurants: entries)
    }
}

/// The body of `POST /restaurants/{id}/reviews`.
struct NewReview: Decodable {
    var reviewer: Int
    var rating: Int
    var body: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.reviewer = try container.decode(Int.self, forKey: .reviewer)
        self.rating = try container.decode(Int.self, forKey: .rating)
        self.body = try container.decode(String.self, forKey: .body).trimmingCharacters(in: .whitespacesAndNewlines)
        guard self.reviewer > 0 else {
            throw DecodingError.dataCorruptedError(forKey: .reviewer, in: container, debugDescription: "a reviewer id")
        }
        guard (1...5).contains(self.rating) else {
            throw DecodingError.dataCorruptedError(forKey: .rating, in: container, debugDescription: "a rating from 1 to 5")
        }
        guard (1...2000).contains(self.body.count), !self.body.contains("\0") else {
            throw DecodingError.dataCorruptedError(forKey: .body, in: container, debugDescription: "a review has 1 to 2,000 characters")
        }
    }

    enum CodingKeys: String, CodingKey { case reviewer, rating, body }

    /// Saves the review and brings the restaurant's running totals up to date, in one transaction.
    /// - Throws: 404 for a restaurant that does not exist (a reviewer who does not exist is a 400).
    func save(restaurant id: Int, on connection: PostgresConnection, logger: Logger) async throws -> Review {
        try await connection.withTransaction(logger: logger) { connection in
            let updated = try await connection.query(
                named: "count_review",
                """
                UPDATE restaurants SET review_count = review_count + 1, rating_total = rating_total + \(self.rating)
                WHERE id = \(id) RETURNING id
                """
            )
            guard !updated.isEmpty else { throw HTTPError(.notFound, message: "no restaurant \(id)") }
            let rows = try await connection.query(
                named: "new_review",
                """
                INSERT INTO reviews (restaurant_id, reviewer_id, rating, body, created_at)
                VALUES (\(id), \(self.reviewer), \(self.rating), \(self.body), now())
                RETURNING id, restaurant_id, reviewer_id, (SELECT name FROM reviewers WHERE id = \(self.reviewer)), rating, body, created_at
                """
            )
            guard let row = rows.first else { throw HTTPError(.internalServerError, message: "the review was not saved") }
            return try Review(row)
        }
    }
}
