import Hummingbird
import LabServer
import Logging

// A small user directory: look a user up by email (the login page does this on every sign-in)
// or by id (profile pages do this).
//
// It works fine when you try it alone. Run the load test (`./lab load 01`) to see what happens
// when 100 people use it at the same time.

func buildApplication(_ configuration: LabServerConfiguration) -> some ApplicationProtocol {
    let logger = configuration.makeLogger(label: "scenario-01.server")

    // How this server talks to PostgreSQL: for every request, open a brand-new connection,
    // run one query, close the connection.
    let database = NewConnectionPerRequest(url: configuration.databaseURL, logger: logger)

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /users/by-email?email=ada.lovelace@example.com
    router.get("/users/by-email") { request, context -> User in
        let email = try request.uri.queryParameters.require("email")
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "user_by_email",
                "SELECT id, email, full_name, city, signed_up_at FROM users WHERE email = \(email)"
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no user with email \(email)") }
        return try User(row)
    }

    // GET /users/42
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

    return LabApplication.makeApplication(router: router, configuration: configuration, logger: logger)
}
