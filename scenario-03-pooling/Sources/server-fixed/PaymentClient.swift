import AsyncHTTPClient
import Foundation
import Hummingbird
import NIOCore
import ServiceLifecycle

/// Calls the card-payment API: in real life a remote service (Stripe, Adyen...); here the `payment-provider`
/// program the lab starts beside the server (port 8091), which answers each charge after about 300 ms.
///
/// A service of the application so that its connections close cleanly on shutdown, after the HTTP server
/// has finished its requests.
final class PaymentClient: Service, Sendable {
    let baseURL: String
    let client: HTTPClient

    init() {
        self.baseURL = ProcessInfo.processInfo.environment["PAYMENT_PROVIDER_URL"] ?? "http://127.0.0.1:8091"
        var configuration = HTTPClient.Configuration()
        // The HTTP client keeps a pool of connections to the provider too. Its default, 8 per host, would
        // allow only 8 charges in flight (about 27 checkouts per second at 300 ms each), so it gets room
        // for every charge the shop can have in flight.
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 500)
        configuration.timeout = .init(connect: .seconds(2), read: .seconds(10))
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    func run() async throws {
        try? await gracefulShutdown()
        try await self.client.shutdown()
    }

    /// Charges the buyer's card. Takes as long as the provider takes (about 300 ms).
    /// - Throws: a 502 for the buyer, with the reason, when the provider cannot be reached or refuses.
    func charge(amountCents: Int, reference: String) async throws -> Charge {
        do {
            return try await self.send(amountCents: amountCents, reference: reference)
        } catch {
            throw HTTPError(.badGateway, message: "the payment failed: \(error)")
        }
    }

    private func send(amountCents: Int, reference: String) async throws -> Charge {
        var request = HTTPClientRequest(url: self.baseURL + "/charges")
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        let body = try JSONEncoder().encode(ChargeRequest(amountCents: amountCents, reference: reference))
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await self.client.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 64 * 1024)
        guard (200..<300).contains(response.status.code) else {
            throw PaymentError(reason: "the payment provider answered \(response.status.code)")
        }
        return try JSONDecoder().decode(Charge.self, from: Data(buffer: bytes))
    }
}

struct ChargeRequest: Encodable {
    var amountCents: Int
    var reference: String
}

/// The provider's answer: the charge id we store on the order.
struct Charge: Decodable {
    var id: String
    var status: String
}

struct PaymentError: Error, CustomStringConvertible {
    var reason: String
    var description: String { self.reason }
}
