import Hummingbird
import LabServer
import Logging

// A small shop's API on 2,000,000 orders, 300,000 products and 50,000 customers.
//
// Every query below is correct: each returns exactly the right rows. Most of them are slow, and
// adding CPU or connections will not help. Run the load test (`./lab load 02`): the verdict has one
// line per endpoint. Then find out which queries hurt and why (SCENARIO.md shows how).

func buildApplication(_ configuration: LabServerConfiguration) -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-02.server")

    // A pool of 10 connections, as scenario 01 ended with: connections are not this scenario's problem.
    let database = DatabasePool(url: configuration.databaseURL, size: 10, logger: logger)

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /orders/by-number/ORD-12442220 - support looks up the order number printed on a receipt.
    router.get("/orders/by-number/{number}") { _, context -> Order in
        let number = try context.parameters.require("number")
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "order_by_number",
                """
                SELECT id, order_number, customer_id, status, created_at, total_cents
                FROM orders WHERE order_number = \(number)
                """
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no order \(number)") }
        return try Order(row)
    }

    // GET /customers/4243/orders - "My orders": a customer's 20 most recent orders, newest first.
    router.get("/customers/{id}/orders") { _, context -> OrderList in
        let customerId = try context.parameters.require("id", as: Int.self)
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "customer_latest_orders",
                """
                SELECT id, order_number, customer_id, status, created_at, total_cents
                FROM orders WHERE customer_id = \(customerId)
                ORDER BY created_at DESC LIMIT 20
                """
            )
        }
        return OrderList(orders: try rows.map(Order.init))
    }

    // GET /orders/pending - the warehouse screen: the 50 newest orders still waiting to be shipped.
    router.get("/orders/pending") { _, _ -> OrderList in
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "pending_orders",
                """
                SELECT id, order_number, customer_id, status, created_at, total_cents
                FROM orders WHERE status = 'pending'
                ORDER BY created_at DESC LIMIT 50
                """
            )
        }
        return OrderList(orders: try rows.map(Order.init))
    }

    // GET /products/search?q=copper%20kettle - the search box: products whose name contains the
    // words, anywhere, ignoring upper/lower case. The first 20 by id.
    router.get("/products/search") { request, _ -> ProductList in
        let term = try request.uri.queryParameters.require("q")
        let pattern = "%" + likeEscaped(term) + "%"
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "product_search",
                "SELECT id, name, price_cents FROM products WHERE name ILIKE \(pattern) ORDER BY id LIMIT 20"
            )
        }
        return ProductList(products: try rows.map(Product.init))
    }

    // POST /orders/import {"customerId": 42, "totalsCents": [1999, 2450, ...]} - a marketplace sends
    // a customer's orders in bulk. One INSERT for all of them (unnest turns the array into rows).
    router.post("/orders/import") { request, context -> ImportResult in
        let order = try await request.decode(as: ImportRequest.self, context: context)  // 400 if invalid (Models.swift)
        let inserted = try await database.withConnection { connection in
            try await connection.query(
                named: "import_orders",
                """
                INSERT INTO orders (order_number, customer_id, status, created_at, total_cents)
                SELECT 'IMP-' || gen_random_uuid(), \(order.customerId), 'delivered', now(), total
                FROM unnest(\(order.totalsCents)::int[]) AS total
                WHERE EXISTS (SELECT 1 FROM customers WHERE id = \(order.customerId))
                RETURNING id
                """
            )
        }
        guard !inserted.isEmpty else { throw HTTPError(.notFound, message: "no customer \(order.customerId)") }
        return ImportResult(inserted: inserted.count)
    }

    return LabApplication.makeApplication(router: router, configuration: configuration, services: [database], logger: logger)
}
