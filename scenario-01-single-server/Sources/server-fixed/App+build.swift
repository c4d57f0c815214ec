import Hummingbird
import LabServer
import Logging

// The fixed user directory. Two changes from `server`, and both are needed:
//
// 1. ONE POOL OF CONNECTIONS, OPENED ONCE (this file).
//    The naive server opened a new PostgreSQL connection for every request. Each new connection
//    costs a network handshake, a password check and a brand-new PostgreSQL process - often more
//    work than the query itself. Under load, PostgreSQL spends its time starting processes instead
//    of answering queries. A pool opens a few connections and lends them to requests over and over,
//    like a library lending the same books instead of printing a new one for every reader.
//
// 2. AN INDEX ON users.email (not in this file: it lives in the database).
//    Without it, PostgreSQL finds a user by email by reading all 1,000,000 rows, one by one.
//    With it, PostgreSQL jumps straight to the right row, like using the index at the back of a
//    book. The index is created once with SQL - see the stuck table in SCENARIO.md (fix.sql).
//
// The routes below are the same as in `server`: only where connections come from changed.

func buildApplication(_ configuration: LabServerConfiguration) -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-01.server-fixed")

    // CHANGE 1: one pool for the whole server, created at startup.
    //
    // Why 10 connections? Each query now takes well under a millisecond once the index exists,
    // so one connection can serve more than a thousand requests per second. This machine has 2 CPU
    // cores, and PostgreSQL runs one process per connection: a few more connections than cores keeps
    // every core busy while some connections wait on the network. Far more connections would not
    // make PostgreSQL faster (it has only 2 cores to share) and would use memory on the database for
    // nothing. Scenario 03 measures this properly.
    //
    // If all 10 are busy, a request waits in line for one (up to 2 seconds, then it gets a 503: sooner
    // than the 5 seconds a user, or the load test, waits, so they get a clear answer).
    let database = DatabasePool(url: configuration.databaseURL, size: 10, logger: logger)

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /users/by-email?email=ada.lovelace@example.com
    // Same query as before. With the index it becomes an "Index Scan" instead of a "Seq Scan":
    // try `EXPLAIN ANALYZE` on it before and after (SCENARIO.md, step 4).
    router.get("/users/by-email") { request, context -> User in
        let email = try request.uri.queryParameters.require("email")
        // `withConnection` borrows a connection from the pool and gives it back when done,
        // even if the query fails. Nothing is opened or closed here any more.
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "user_by_email",
                "SELECT id, email, full_name, city, signed_up_at FROM users WHERE email = \(email)"
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no user with email \(email)") }
        return try User(row)
    }

    // GET /users/42 - already fast (the primary key `id` has an index); it now shares the pool too.
    router.get("/users/{id}") { request, context -> User in
        let id = try context.parameters.require("id", as: Int.self)
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "user_by_id",
                "SELECT id, email, full_name, city, signed_up_at FROM users WHERE id = \(id)"
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no user with id \(id)") }
        return try User(row)
    }

    // CHANGE 1 (continued): the pool is a "service" that runs next to the HTTP server. It opens its
    // connections when the server starts and closes them cleanly when the server stops (Ctrl-C).
    return LabApplication.makeApplication(router: router, configuration: configuration, services: [database], logger: logger)
}
