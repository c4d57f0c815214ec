import Foundation

/// The product's two tracks (VISION.md), for `./lab progress` and the panel's track page: scenario numbers and titles,
/// in the recommended order, by tier. A Track 1 scenario is playable when its folder exists; Track 2 is not built yet.
public enum Curriculum {
    public struct Entry: Sendable {
        public var number: Int
        public var title: String
        public var tier: String
    }

    public static let track1: [Entry] = [
        .init(number: 1, title: "Single server + database", tier: "Crawling"),
        .init(number: 2, title: "Indexes and slow queries", tier: "Crawling"),
        .init(number: 3, title: "Connection pooling", tier: "Crawling"),
        .init(number: 4, title: "Horizontal scaling", tier: "Crawling"),
        .init(number: 5, title: "Caching with Redis", tier: "Walking"),
        .init(number: 6, title: "Load balancing + stateless servers", tier: "Walking"),
        .init(number: 7, title: "Database replication and read replicas", tier: "Walking"),
        .init(number: 8, title: "Message queues and async communication", tier: "Running"),
        .init(number: 9, title: "Pub/Sub and fan-out", tier: "Running"),
        .init(number: 10, title: "API design and rate limiting", tier: "Running"),
        .init(number: 11, title: "URL shortener", tier: "Sprinting"),
        .init(number: 12, title: "Notification system", tier: "Sprinting"),
        .init(number: 13, title: "News feed / timeline", tier: "Sprinting"),
        .init(number: 14, title: "Chat system", tier: "Sprinting"),
    ]

    /// Track 2, from mid to senior: distributed systems, scaling patterns, resilience, architecture design.
    public static let track2: [Entry] = [
        .init(number: 1, title: "Why distributed systems are hard", tier: "Crawling"),
        .init(number: 2, title: "CAP theorem in practice", tier: "Crawling"),
        .init(number: 3, title: "Eventual consistency", tier: "Crawling"),
        .init(number: 4, title: "Horizontal scaling done right", tier: "Walking"),
        .init(number: 5, title: "Database sharding", tier: "Walking"),
        .init(number: 6, title: "Read replicas and replication lag", tier: "Walking"),
        .init(number: 7, title: "Consistent hashing", tier: "Walking"),
        .init(number: 8, title: "Circuit breakers and retries", tier: "Running"),
        .init(number: 9, title: "Idempotency", tier: "Running"),
        .init(number: 10, title: "Distributed transactions", tier: "Running"),
        .init(number: 11, title: "Rate limiting at scale", tier: "Running"),
        .init(number: 12, title: "Design under ambiguous requirements", tier: "Sprinting"),
        .init(number: 13, title: "Spot what's wrong", tier: "Sprinting"),
        .init(number: 14, title: "Scale an existing system", tier: "Sprinting"),
        .init(number: 15, title: "Cost vs performance tradeoffs", tier: "Sprinting"),
    ]

    /// The Track 1 tier of scenario `number` ("05"), or nil.
    public static func tier(of number: String) -> String? {
        self.track1.first { String(format: "%02d", $0.number) == number }?.tier
    }
}
