import Hummingbird
import LabServer
import Logging

// A ticket shop: 2,000 events, 500 seats each. Every query below is indexed and takes well under a
// millisecond. Yet under the standard load (`./lab load 03`) requests fail with "timed out waiting for a
// database connection" while PostgreSQL has almost nothing to do. Read the "What the server saw" part of
// the load report, then look at what the connections are doing (SCENARIO.md shows how).

func buildApplication(_ configuration: LabServerConfiguration) -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-03.server")

    // 4 connections; a request that cannot get one within 100 ms fails with a 503.
    // (DATABASE_POOL_SIZE=... and DATABASE_POOL_TIMEOUT_MS=... replace these two numbers without a rebuild.)
    let database = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 4,
        acquireTimeout: configuration.poolTimeout ?? .milliseconds(100),
        openAllAtStart: true,
        logger: logger
    )
    let payments = PaymentClient()  // the card-payment API: about 300 ms per charge

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /events/17 - the event page: what, where, when, the price, and how many seats are left.
    router.get("/events/{id}") { _, context -> EventPage in
        let eventId = try context.parameters.require("id", as: Int.self)
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "event_page",
                """
                SELECT e.id, e.name, e.venue, e.starts_at, e.price_cents,
                       (SELECT count(*) FROM seats s WHERE s.event_id = e.id AND s.order_id IS NULL)
                FROM events e WHERE e.id = \(eventId)
                """
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no event \(eventId)") }
        return try EventPage(row)
    }

    // GET /events/17/seats - the seat picker: the first 20 free seats.
    router.get("/events/{id}/seats") { _, context -> SeatList in
        let eventId = try context.parameters.require("id", as: Int.self)
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "free_seats",
                "SELECT id, label FROM seats WHERE event_id = \(eventId) AND order_id IS NULL ORDER BY id LIMIT 20"
            )
        }
        return SeatList(seats: try rows.map(Seat.init))
    }

    // POST /events/17/checkout {"email": "fan1@example.com"} - buy one seat: claim a free seat, charge the
    // card, record the payment. All or nothing, so it all happens in one transaction.
    router.post("/events/{id}/checkout") { request, context -> Ticket in
        let eventId = try context.parameters.require("id", as: Int.self)
        let buyer = try await request.decode(as: CheckoutRequest.self, context: context)
        let ticket = try await database.withConnection { connection in
            try await connection.withTransaction(logger: logger) { connection -> Ticket? in
                // SKIP LOCKED: two buyers at once get two different seats instead of waiting for each other.
                let free = try await connection.query(
                    named: "claim_seat",
                    """
                    SELECT s.id, s.label, e.price_cents FROM seats s JOIN events e ON e.id = s.event_id
                    WHERE s.event_id = \(eventId) AND s.order_id IS NULL
                    ORDER BY s.id LIMIT 1
                    FOR UPDATE OF s SKIP LOCKED
                    """
                )
                guard let seat = try free.first.map(ClaimedSeat.init) else { return nil }
                let order = try await connection.query(
                    named: "create_order",
                    """
                    INSERT INTO orders (event_id, seat_id, email, status)
                    VALUES (\(eventId), \(seat.id), \(buyer.email), 'pending') RETURNING id
                    """
                )
                let orderId = try order[0].decode(Int.self)
                _ = try await connection.query(named: "reserve_seat", "UPDATE seats SET order_id = \(orderId) WHERE id = \(seat.id)")

                let charge = try await payments.charge(amountCents: seat.priceCents, reference: "order-\(orderId)")

                _ = try await connection.query(
                    named: "record_payment",
                    "UPDATE orders SET status = 'paid', payment_id = \(charge.id) WHERE id = \(orderId)"
                )
                return Ticket(orderId: orderId, eventId: eventId, seat: seat.label, priceCents: seat.priceCents, paymentId: charge.id)
            }
        }
        guard let ticket else { throw try await noSeatError(event: eventId, database: database) }
        return ticket
    }

    return LabApplication.makeApplication(
        router: router,
        configuration: configuration,
        services: [database, payments],
        logger: logger
    )
}
