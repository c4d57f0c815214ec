import Foundation
import Hummingbird
import LabServer
import PostgresNIO

/// `GET /trending`.
struct Trending: ResponseEncodable {
    var products: [TrendingProduct]
}

struct TrendingProduct: ResponseEncodable {
    var id: Int
    var name: String
    var priceCents: Int
    var soldThisWeek: Int

    /// Columns: id, name, price_cents, sold.
    init(_ row: PostgresRow) throws {
        (self.id, self.name, self.priceCents, self.soldThisWeek) = try row.decode((Int, String, Int, Int).self)
    }
}

/// `GET /products/{id}`: the product, its rating and its latest reviews.
struct ProductPage: ResponseEncodable {
    var id: Int
    var name: String
    var category: String
    var priceCents: Int
    var rating: Rating
    var latestReviews: [Review]

    struct Rating: ResponseEncodable {
        var average: Double?
        var reviews: Int
    }

    /// Three queries on one connection: the product, the rating summary, the 5 latest reviews.
    static func load(_ id: Int, on connection: PostgresConnection) async throws -> ProductPage {
        let products = try await connection.query(
            named: "product",
            "SELECT id, name, category, price_cents FROM products WHERE id = \(id)"
        )
        guard let product = products.first else { throw HTTPError(.notFound, message: "no product \(id)") }
        let (productID, name, category, priceCents) = try product.decode((Int, String, String, Int).self)
        let summary = try await connection.query(
            named: "product_rating",
            "SELECT count(*), round(avg(rating), 2)::float8 FROM reviews WHERE product_id = \(id)"
        )
        let (count, average) = try summary.first!.decode((Int, Double?).self)
        let latest = try await connection.query(
            named: "product_latest_reviews",
            "SELECT id, rating, body, created_at FROM reviews WHERE product_id = \(id) ORDER BY created_at DESC LIMIT 5"
        )
        return ProductPage(
            id: productID,
            name: name,
            category: category,
            priceCents: priceCents,
            rating: Rating(average: average, reviews: count),
            latestReviews: try latest.map(Review.init)
        )
    }
}

struct Review: ResponseEncodable {
    var id: Int
    var rating: Int
    var body: String
    var createdAt: Date

    /// Columns: id, rating, body, created_at.
    init(_ row: PostgresRow) throws {
        (self.id, self.rating, self.body, self.createdAt) = try row.decode((Int, Int, String, Date).self)
    }
}

/// The body of `POST /products`.
struct NewProduct: Decodable {
    var name: String
    var category: String
    var priceCents: Int

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decode(String.self, forKey: .name).trimmingCharacters(in: .whitespacesAndNewlines)
        self.category = try container.decode(String.self, forKey: .category)
        self.priceCents = try container.decode(Int.self, forKey: .priceCents)
        guard (1...120).contains(self.name.count), !self.name.contains("\0") else {
            throw DecodingError.dataCorruptedError(forKey: .name, in: container, debugDescription: "a name has 1 to 120 characters")
        }
        guard Self.categories.contains(self.category) else {
            throw DecodingError.dataCorruptedError(forKey: .category, in: container, debugDescription: "one of \(Self.categories.sorted())")
        }
        guard PriceChange.allowed.contains(self.priceCents) else {
            throw DecodingError.dataCorruptedError(forKey: .priceCents, in: container, debugDescription: "cents from 1 to 10,000,000")
        }
    }

    static let categories: Set = [
        "outdoor", "kitchen", "home", "clothing", "office", "audio", "travel", "sport", "garden", "toys", "books", "beauty",
    ]
    enum CodingKeys: String, CodingKey { case name, category, priceCents }
}

/// The body of `PATCH /products/{id}/price`.
struct PriceChange: Decodable {
    var priceCents: Int

    static let allowed = 1...10_000_000

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.priceCents = try container.decode(Int.self, forKey: .priceCents)
        guard Self.allowed.contains(self.priceCents) else {
            throw DecodingError.dataCorruptedError(forKey: .priceCents, in: container, debugDescription: "cents from 1 to 10,000,000")
        }
    }

    enum CodingKeys: String, CodingKey { case priceCents }
}

/// The body of `POST /products/{id}/reviews`.
struct NewReview: Decodable {
    var rating: Int
    var body: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.rating = try container.decode(Int.self, forKey: .rating)
        self.body = try container.decode(String.self, forKey: .body).trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...5).contains(self.rating) else {
            throw DecodingError.dataCorruptedError(forKey: .rating, in: container, debugDescription: "a rating from 1 to 5")
        }
        guard (1...2000).contains(self.body.count), !self.body.contains("\0") else {
            throw DecodingError.dataCorruptedError(forKey: .body, in: container, debugDescription: "a review has 1 to 2,000 characters")
        }
    }

    enum CodingKeys: String, CodingKey { case rating, body }
}
