import Hummingbird
import LabRedis
import LabServer
import Logging

// The fixed shop: Redis in front of PostgreSQL for the two pages everyone reads, the trending page and the
// product pages. The queries and the routes are the same as in `server`; what changed is marked CHANGE here, and
// the cache's four fixes (FIX 1 to FIX 4, each with what it costs) are in ShopCache.swift.
//
// The database was not missing an index: it was asked the same 300 ms question by every visitor. The answer
// changes a few times a minute at most, so the server now keeps it in Redis and asks PostgreSQL once per expiry.

func buildApplication(_ configuration: LabServerConfiguration) throws -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-05.server-fixed")

    // 10 connections for 2 CPU cores, as scenario 03 taught (DATABASE_POOL_SIZE=... replaces the number).
    let database = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 10,
        acquireTimeout: configuration.poolTimeout ?? .seconds(2),
        logger: logger
    )
    // FIX 4 (Redis down, continued; ShopCache.swift has the rest): a cache must answer fast or not at all.
    // A Redis that is stopped refuses at once, but a paused or overloaded one just does not answer: with the
    // default 5 s timeouts every request would wait 5 s for it, as long as a user waits at all. 250 ms is a
    // hundred times what Redis needs here, with room for a busy 2-core machine (at 100 ms, commands gave up
    // on a healthy Redis when other programs took the CPU), and short enough that giving up costs a user little.
    var redisConfiguration = try RedisConfiguration(url: configuration.redisURL ?? "redis://127.0.0.1:63790")
    redisConfiguration.commandTimeout = .milliseconds(250)
    redisConfiguration.connectTimeout = .milliseconds(500)
    // CHANGE: 50 connections, not 10. With short timeouts, a request that waits for a free Redis connection
    // behind 90 others can give up although Redis is fine, and every give-up is a needless trip to PostgreSQL
    // (or a stale page, for a delete: FIX 2). Unlike PostgreSQL's (a process each, scenario 03), a Redis
    // connection costs Redis a few kilobytes: size this pool for the requests in flight, not for the cores.
    let redis = LessonSwitches().redisPool(
        fixed: RedisPool(configuration: redisConfiguration, size: 50, acquireTimeout: .milliseconds(250), logger: logger),
        logger: logger
    )
    let cache = ShopCache(redis: redis, logger: logger)  // ShopCache.swift: the four fixes

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /trending - the 20 products that sold the most in the shop's last 7 days. The same for everyone.
    // CHANGE: Redis first; PostgreSQL only on a miss (once per 30 s, by one request at a time: ShopCache.swift).
    router.get("/trending") { _, _ -> CachedPage in
        let json = try await cache.value(cache.trending, key: "trending") {
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
            return try CachedPage.encode(Trending(products: try rows.map(TrendingProduct.init)))
        }
        return CachedPage(json: json)
    }

    // GET /products/42 - a product, its average rating and its 5 latest reviews.
    // CHANGE: the same, with one key per product (`product:42`), deleted when the product changes (below).
    router.get("/products/{id}") { _, context -> CachedPage in
        let id = try context.parameters.require("id", as: Int.self)
        let json = try await cache.value(cache.products, key: ShopCache.productKey(id), version: ShopCache.versionKey(id)) {
            let page = try await database.withConnection { connection in
                try await ProductPage.load(id, on: connection)
            }
            return try CachedPage.encode(page)
        }
        return CachedPage(json: json)
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
        let page = try await database.withConnection { connection in
            let rows = try await connection.query(
                named: "change_price",
                "UPDATE products SET price_cents = \(change.priceCents), updated_at = now() WHERE id = \(id) RETURNING id"
            )
            guard !rows.isEmpty else { throw HTTPError(.notFound, message: "no product \(id)") }
            return try await ProductPage.load(id, on: connection)
        }
        await cache.productChanged(id)  // CHANGE: the cached page is out of date now (FIX 2)
        return page
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
        await cache.productChanged(id)  // CHANGE: its page shows the latest reviews (FIX 2)
        return EditedResponse(status: .created, response: try Review(row))
    }

    return LabApplication.makeApplication(router: router, configuration: configuration, services: [database, redis], logger: logger)
}
