import Foundation
import Hummingbird
import PostgresNIO

/// One row of `orders`, sent back as JSON.
struct Order: ResponseEncodable {
    var id: Int
    var orderNumber: String
    var customerId: Int
    var status: String
    var createdAt: Date
    var totalCents: Int

    /// Reads the columns in the order the queries select them:
    /// id, order_number, customer_id, status, created_at, total_cents.
    init(_ row: PostgresRow) throws {
        (self.id, self.orderNumber, self.customerId, self.status, self.createdAt, self.totalCents) =
            try row.decode((Int, String, Int, String, Date, Int).self)
    }
}

/// A list of orders as JSON: `{"orders": [...]}`.
struct OrderList: ResponseEncodable {
    var orders: [Order]
}

/// One row of `products`: id, name, price_cents.
struct Product: ResponseEncodable {
    var id: Int
    var name: String
    var priceCents: Int

    init(_ row: PostgresRow) throws {
        (self.id, self.name, self.priceCents) = try row.decode((Int, String, Int).self)
    }
}

struct ProductList: ResponseEncodable {
    var products: [Product]
}

/// The body of `POST /orders/import`: one customer's orders from a marketplace, by total. 400 unless it
/// holds 1 to 100 amounts, each from 0 to 10,000,000 cents.
struct ImportRequest: Decodable {
    var customerId: Int
    var totalsCents: [Int]

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.customerId = try container.decode(Int.self, forKey: .customerId)
        self.totalsCents = try container.decode([Int].self, forKey: .totalsCents)
        guard (1...100).contains(self.totalsCents.count), self.totalsCents.allSatisfy({ (0...10_000_000).contains($0) }) else {
            throw DecodingError.dataCorruptedError(
                forKey: .totalsCents,
                in: container,
                debugDescription: "totalsCents must hold 1 to 100 amounts, each from 0 to 10,000,000"
            )
        }
    }

    enum CodingKeys: String, CodingKey { case customerId, totalsCents }
}

struct ImportResult: ResponseEncodable {
    var inserted: Int
}

/// `text` usable inside a LIKE pattern: its own `%`, `_` and `\` match themselves, not "anything".
func likeEscaped(_ text: String) -> String {
    var result = ""
    for character in text {
        if character == "%" || character == "_" || character == "\\" { result.append("\\") }
        result.append(character)
    }
    return result
}
