import Hummingbird
import LabRedis
import LabServer
import Logging

// Corner Shop's API. Thousands of people browse it at once: the trending page, product pages, now and then a
// review or a new price. Every query has the index it needs; each one is correct. And yet under the standard
// load the database is at 100% CPU and pages take seconds. Look at what the database is asked, how often, and
// how often the answer changes.

func buildApplication(_ configuration: LabServerConfiguration) throws -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-05.server")

    // 10 connections for 2 CPU cores, as scenario 03 taught (DATABASE_POOL_SIZE=... replaces the number).
    let database = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 10,
        acquireTimeout: configuration.poolTimeout ?? .seconds(2),
        logger: logger
    )
    // Redis runs beside PostgreSQL (./lab status shows both) and this pool is connected to it. Nothing uses it yet.
    let redis = RedisPool(
        configuration: try RedisConfiguration(url: configuration.redisURL ?? "redis://127.0.0.1:63790"),
        size: 10,
        logger: logger
    )

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /trending - the 20 products that sold the most in the shop's last 7 days. The same for everyone.
    router.get("/trending") { _, _ -> Trending in
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "trending",
                """
                SELECT p.id, p.name, p.price_cents, t.sold
                FROM (SELECT product_id, sum(quantity) AS sold FROM order_items
                      WHERE created_at > (SELECT max(created_at) FROM order_items) - interval '7 days'
                      GROUP BY product_id ORDER BY sold DESC LIMIT 20) AS t
                JOIN products p ON p.id = t.product_id ORDER BY t.sold DESC
                """
            )
        }
        return Trending(products: try rows.map(TrendingProduct.init))
    }

    // GET /products/42 - a product, its average rating and its 5 latest reviews.
    router.get("/products/{id}") { _, context -> ProductPage in
        let id = try context.parameters.require("id", as: Int.self)
        return try await database.withConnection { connection in
            try await ProductPage.load(id, on: connection)
        }
    }

    // POST /products {"name": "Cedar Lamp", "category": "home", "priceCents": 2499} - a new product.
    router.post("/products") { request, context -> EditedResponse<ProductPage> in
        let new = try await request.decode(as: NewProduct.self, context: context)
        let page = try await database.withConnection { connection in
            let rows = try await connection.query(
                named: "new_product",
                """
                INSERT INTO products (id, name, category, price_cents, updated_at)
                VALUES (nextval('products_new_id'), \(new.name), \(new.category), \(new.priceCents), now()) RETURNING id
                """
            )
            guard let row = rows.first else { throw HTTPError(.internalServerError, message: "the new product was not saved") }
            return try await ProductPage.load(try row.decode(Int.self), on: connection)
        }
        return EditedResponse(status: .created, response: page)
    }

    // PATCH /products/42/price {"priceCents": 1999} - a new price, from now on.
    router.patch("/products/{id}/price") { request, context -> ProductPage in
        let id = try context.parameters.require("id", as: Int.self)
        let change = try await request.decode(as: PriceChange.self, context: context)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                named: "change_price",
                "UPDATE products SET price_cents = \(change.priceCents), updated_at = now() WHERE id = \(id) RETURNING id"
            )
            guard !rows.isEmpty else { throw HTTPError(.notFound, message: "no product \(id)") }
            return try await ProductPage.load(id, on: connection)
        }
    }

    // POST /products/42/reviews {"rating": 5, "body": "Love it"} - a review, shown on the product page at once.
    router.post("/products/{id}/reviews") { request, context -> EditedResponse<Review> in
        let id = try context.parameters.require("id", as: Int.self)
        let new = try await request.decode(as: NewReview.self, context: context)
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "new_review",
                """
                INSERT INTO reviews (product_id, rating, body, created_at)
                SELECT id, \(new.rating), \(new.body), now() FROM products WHERE id = \(id)
                RETURNING id, rating, body, created_at
                """
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no product \(id)") }
        return EditedResponse(status: .created, response: try Review(row))
    }

    return LabApplication.makeApplication(router: router, configuration: configuration, services: [database, redis], logger: logger)
}
