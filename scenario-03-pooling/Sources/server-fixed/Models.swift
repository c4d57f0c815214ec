import Foundation
import Hummingbird
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

/// The body of `POST /events/{id}/checkout`.
struct CheckoutRequest: Decodable {
    var email: String
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
