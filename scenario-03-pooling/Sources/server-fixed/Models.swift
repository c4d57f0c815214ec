import Foundation
import Hummingbird
import LabServer
import PostgresNIO

/// `GET /events/{id}`: the event and how many seats are still free.
struct EventPage: ResponseEncodable {
    var id: Int
    var name: String
    var venue: String
    var startsAt: Date
    var priceCents: Int
    var seatsLeft: Int

    /// Columns: id, name, venue, starts_at, price_cents, seats_left.
    init(_ row: PostgresRow) throws {
        (self.id, self.name, self.venue, self.startsAt, self.priceCents, self.seatsLeft) =
            try row.decode((Int, String, String, Date, Int, Int).self)
    }
}

/// `GET /events/{id}/seats`: free seats to pick from.
struct SeatList: ResponseEncodable {
    var seats: [Seat]
}

struct Seat: ResponseEncodable {
    var id: Int
    var label: String

    init(_ row: PostgresRow) throws {
        (self.id, self.label) = try row.decode((Int, String).self)
    }
}

/// The body of `POST /events/{id}/checkout`: who buys. A missing or implausible email is a 400.
struct CheckoutRequest: Decodable {
    var email: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let email = try container.decode(String.self, forKey: .email)
        guard (3...254).contains(email.count), email.contains("@"),
            !email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 32 })
        else {
            throw DecodingError.dataCorruptedError(forKey: .email, in: container, debugDescription: "not an email address")
        }
        self.email = email
    }

    enum CodingKeys: String, CodingKey { case email }
}

/// Why a checkout found no seat: the event does not exist (404), or every seat is taken (409).
func noSeatError(event eventId: Int, database: DatabasePool) async throws -> HTTPError {
    let rows = try await database.withConnection { connection in
        try await connection.query(named: "event_exists", "SELECT 1 FROM events WHERE id = \(eventId)")
    }
    return rows.isEmpty ? HTTPError(.notFound, message: "no event \(eventId)") : HTTPError(.conflict, message: "event \(eventId) is sold out")
}

/// A seat claimed for a checkout, with the event's price. Columns: id, label, price_cents.
struct ClaimedSeat: Sendable {
    var id: Int
    var label: String
    var priceCents: Int

    init(_ row: PostgresRow) throws {
        (self.id, self.label, self.priceCents) = try row.decode((Int, String, Int).self)
    }
}

/// What a successful checkout returns.
struct Ticket: ResponseEncodable, Sendable {
    var orderId: Int
    var eventId: Int
    var seat: String
    var priceCents: Int
    var paymentId: String
}
