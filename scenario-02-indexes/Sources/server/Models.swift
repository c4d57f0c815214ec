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

/// The body of `POST /orders/import`: one customer's orders from a marketplace, by total.
struct ImportRequest: Decodable {
    var customerId: Int
    var totalsCents: [Int]
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
