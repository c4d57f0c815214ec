import Foundation
import Hummingbird
import Logging

/// A stand-in for the card-payment API the ticket shop calls at checkout (in real life: Stripe, Adyen... over
/// the internet). `POST /charges` answers after `LATENCY_MS` milliseconds (default 300, about what a real
/// card charge takes), however many charges arrive at once: the provider is never the bottleneck.
///
/// This wait is the only delay in the lab that is not real work, and it stands for something real: a remote
/// service's network round trips and processing. What the shop does while it waits is the lesson.
@main
struct PaymentProvider {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let port = Int(environment["HTTP_PORT"] ?? "8091") ?? 8091
        let latency = Duration.milliseconds(Int(environment["LATENCY_MS"] ?? "300") ?? 300)
        let logger = {
            var logger = Logger(label: "payment-provider")
            logger.logLevel = .notice
            return logger
        }()

        let router = Router()
        router.get("/health") { _, _ in "ok\n" }
        // POST /charges {"amountCents": 4500, "reference": "order-17"} → {"id": "ch_…", "status": "succeeded"}
        router.post("/charges") { request, context -> Charge in
            let charge = try await request.decode(as: ChargeRequest.self, context: context)
            guard charge.amountCents > 0 else { throw HTTPError(.badRequest, message: "amountCents must be positive") }
            try await Task.sleep(for: latency)
            return Charge(id: "ch_" + UUID().uuidString.lowercased(), status: "succeeded", reference: charge.reference)
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(environment["HTTP_HOST"] ?? "127.0.0.1", port: port)),
            onServerRunning: { _ in logger.notice("payment provider on port \(port), answering charges after \(latency)") },
            logger: logger
        )
        try await app.runService()
    }
}

struct ChargeRequest: Decodable {
    var amountCents: Int
    var reference: String
}

struct Charge: ResponseEncodable {
    var id: String
    var status: String
    var reference: String
}
