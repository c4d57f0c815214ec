import Foundation
import Hummingbird
import PostgresNIO

/// One row of the `users` table, sent back as JSON.
struct User: ResponseEncodable {
    var id: Int
    var email: String
    var fullName: String
    var city: String
    var signedUpAt: Date

    /// Reads the columns in the order the queries select them.
    init(_ row: PostgresRow) throws {
        (self.id, self.email, self.fullName, self.city, self.signedUpAt) = try row.decode((Int, String, String, String, Date).self)
    }
}
