/// The track a learner follows (Track 1 of the product's curriculum), for `./lab progress`: scenario numbers and titles, in
/// the recommended order. A scenario is playable when its folder exists.
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
}
