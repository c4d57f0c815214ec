import LabKit
import LabTesting
import LoadTestKit
import Testing

extension LessonTests {
    /// The indexes a learner might try first, each wrong for its query. Each is measured on its own: all of
    /// fix.sql's indexes in place except the right one for the endpoint, replaced by the wrong one, and
    /// only that endpoint loaded (100 users, 10 s).
    @Test("wrong indexes miss their endpoint's target: (created_at, customer_id), (customer_id), (status), B-tree on name")
    func wrongIndexes() async throws {
        let lesson = try Lesson(scenarioNumber: "02", file: #filePath)
        try await lesson.prepare()
        try await Self.startingPoint(lesson)
        try await lesson.setDatabaseFix(applied: true)

        /// Replaces the right index with a wrong one, loads only `endpoint`, and returns its numbers.
        func measure(endpoint: String, drop: String, create: String) async throws -> LoadResult.Endpoint {
            try await lesson.database.execute("DROP INDEX IF EXISTS \(drop);\n\(create);\nANALYZE orders;\nANALYZE products;", on: lesson.scenario)
            let result = try await lesson.measure("server", label: "\(endpoint) with \(create)", seconds: 10, only: [endpoint])
            return try #require(result.endpoints.first)
        }
        func plan(_ query: String) async throws -> String {
            try await lesson.database.strings("EXPLAIN \(query)", on: lesson.scenario).joined(separator: "\n")
        }

        let wrongOrder = try await measure(
            endpoint: "customer's latest orders",
            drop: "orders_customer_id_created_at_idx",
            create: "CREATE INDEX orders_created_at_customer_id_idx ON orders (created_at, customer_id)"
        )
        let singleColumn = try await measure(
            endpoint: "customer's latest orders",
            drop: "orders_created_at_customer_id_idx",
            create: "CREATE INDEX orders_customer_id_idx ON orders (customer_id)"
        )
        let status = try await measure(
            endpoint: "pending orders",
            drop: "orders_pending_created_at_idx",
            create: "CREATE INDEX orders_status_idx ON orders (status)"
        )
        // With only (status) to choose from, the planner ignores it for the common value, uses it for the rare one.
        let delivered = try await plan("SELECT * FROM orders WHERE status = 'delivered' ORDER BY created_at DESC LIMIT 50")
        let pending = try await plan("SELECT * FROM orders WHERE status = 'pending' ORDER BY created_at DESC LIMIT 50")
        let btree = try await measure(
            endpoint: "product search",
            drop: "products_name_trgm_idx",
            create: "CREATE INDEX products_name_idx ON products (name)"
        )
        let search = try await plan("SELECT * FROM products WHERE name ILIKE '%copper kettle%' ORDER BY id LIMIT 20")
        try await Self.cleanUp(lesson)

        for (name, measured) in [
            ("(created_at, customer_id)", wrongOrder), ("(customer_id)", singleColumn), ("(status)", status), ("B-tree on name", btree),
        ] {
            #expect(measured.targets?.allMet(measured.counts) == false, "\(measured.name) should miss its target with \(name)")
            print("WRONG INDEX \(name) for \(measured.name): \(Self.row(measured.counts))")
        }
        // The properties the lesson is about, not the node the planner happens to pick between equally bad plans:
        // the common value does not use (status); the search tests names one by one and ignores the B-tree.
        #expect(!delivered.contains("orders_status_idx"), "\(delivered)")
        #expect(pending.contains("orders_status_idx"), "\(pending)")
        #expect(search.contains("Filter: (name ~~*") && !search.contains("products_name_idx"), "\(search)")
        print("PLANS with (status): delivered:\n\(delivered)\npending:\n\(pending)\nsearch with a B-tree on name:\n\(search)")
    }
}
