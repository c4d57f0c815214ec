import Hummingbird
import LabServer
import Logging

// The reference solution: the same site, ready to run as many instances as you like behind the load
// balancer. The rule behind every change: an instance keeps NOTHING that another instance may need.
// Anything a later request may read (who is logged in, counters, files, cached copies, "has this job run
// today?") lives where every instance sees the same thing: here, PostgreSQL.
//
// Each change is marked FIX 1 to FIX 6 and says why. Diff this folder against ../server to see exactly
// what moved:  diff -ru scenario-04-horizontal/Sources/server scenario-04-horizontal/Sources/server-fixed

func buildApplication(_ configuration: LabServerConfiguration) -> some ApplicationProtocol {
    let instance = configuration.instanceName ?? "a"  // "a" or "b": which instance this is
    let logger = configuration.makeLogger(label: "scenario-04.server-fixed")

    // FIX 6 - the database's connections are a budget shared by EVERY instance.
    //   PostgreSQL accepts max_connections = 100, keeps 3 for administrators, and the exporter, psql and
    //   other tools need a few: about 90 for the application. Before, each instance opened 40, sized when
    //   the server ran alone: two instances took 80, and a third could not get its 40 (PostgreSQL said
    //   "too many clients"), so its requests waited and failed with 503.
    //   The rule: pool size ≤ (max_connections - reserved - tools) ÷ the most instances you will run.
    //   For 3 instances that is about 30 each; 10 is plenty (scenario 03's arithmetic: requests per second
    //   × seconds each request holds a connection), and leaves room to grow to 9 instances.
    let database = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 10,
        acquireTimeout: configuration.poolTimeout ?? .seconds(2),
        openAllAtStart: true,
        logger: logger
    )
    let sessions = Sessions(database: database)  // FIX 1: in PostgreSQL (Sessions.swift)
    let loginLimiter = LoginLimiter(database: database)  // FIX 4: counted in PostgreSQL (LoginLimiter.swift)
    let avatars = AvatarStore(database: database)  // FIX 3: stored in PostgreSQL (AvatarStore.swift)
    let dailyDigest = DailyDigest(database: database, instance: instance, logger: logger)  // FIX 5 (DailyDigest.swift)
    // FIX 2 - no profile cache. See GET /members/{id} below.

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /recipes/17 - unchanged: it only reads the database, so any instance gives the same answer.
    router.get("/recipes/{id}") { _, context -> Recipe in
        let id = try context.parameters.require("id", as: Int.self)
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "recipe",
                """
                SELECT r.id, r.title, r.minutes, m.id, m.display_name
                FROM recipes r JOIN members m ON m.id = r.author_id WHERE r.id = \(id)
                """
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no recipe \(id)") }
        return try Recipe(row)
    }

    // POST /login - the same steps; the session and the failure count now live in PostgreSQL.
    router.post("/login") { request, context -> EditedResponse<Member> in
        let login = try await request.decode(as: LoginRequest.self, context: context)
        guard try await loginLimiter.allows(login.email) else {
            throw HTTPError(.tooManyRequests, message: "too many failed logins for \(login.email): wait a minute")
        }
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "check_password",
                """
                SELECT id, email, display_name FROM members
                WHERE email = \(login.email)
                  AND password_hash = encode(sha256(convert_to(password_salt || \(login.password), 'UTF8')), 'hex')
                """
            )
        }
        guard let member = try rows.first.map(Member.init) else {
            try await loginLimiter.recordFailure(login.email)
            throw HTTPError(.unauthorized, message: "wrong email or password")
        }
        var response = EditedResponse(response: member)
        response.setCookie(Cookie(name: "session", value: try await sessions.start(memberID: member.id), path: "/", sameSite: .lax))
        return response
    }

    // GET /me
    router.get("/me") { request, _ -> Member in
        let memberID = try await sessions.memberID(for: request)
        let rows = try await database.withConnection { connection in
            try await connection.query(named: "member", "SELECT id, email, display_name FROM members WHERE id = \(memberID)")
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "member \(memberID) is gone") }
        return try Member(row)
    }

    // PATCH /me {"displayName": "Chef Ana"}
    router.patch("/me") { request, context -> Member in
        let memberID = try await sessions.memberID(for: request)
        let change = try await request.decode(as: NameChange.self, context: context)
        let name = try change.validName()
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "rename",
                "UPDATE members SET display_name = \(name) WHERE id = \(memberID) RETURNING id, email, display_name"
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "member \(memberID) is gone") }
        // FIX 2 (continued) - nothing to forget: no instance keeps a copy of the profile.
        return try Member(row)
    }

    // GET /members/17
    // FIX 2 - read the profile from the database every time; no cache inside the instance.
    //   Before, each instance kept the profiles it had read for a minute. A rename on instance b made b
    //   forget its copy, but instance a never heard of it and kept showing the old name for up to a
    //   minute. One instance cannot tell the others to forget.
    //   This query takes well under a millisecond (both lookups use an index), so the cache saved almost
    //   nothing. When a cache is really needed, it must be one every instance shares and every change
    //   updates: that is scenario 05 (Redis).
    router.get("/members/{id}") { _, context -> Profile in
        let id = try context.parameters.require("id", as: Int.self)
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "profile",
                """
                SELECT m.id, m.display_name, m.joined_at, (SELECT count(*) FROM recipes r WHERE r.author_id = m.id)
                FROM members m WHERE m.id = \(id)
                """
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "no member \(id)") }
        return try Profile(row)
    }

    // POST /me/avatar
    router.post("/me/avatar") { request, _ -> HTTPResponse.Status in
        let memberID = try await sessions.memberID(for: request)
        let type = try AvatarType(request.headers[.contentType])
        let image = try type.checked(await request.body.collect(upTo: 64 * 1024))
        try await avatars.save(image, type: type, for: memberID)
        return .noContent
    }

    // GET /members/17/avatar
    router.get("/members/{id}/avatar") { _, context -> Response in
        let id = try context.parameters.require("id", as: Int.self)
        guard let (image, type) = try await avatars.load(for: id) else { throw HTTPError(.notFound, message: "member \(id) has no avatar") }
        return Response(status: .ok, headers: type.servingHeaders, body: .init(byteBuffer: image))
    }

    return LabApplication.makeApplication(
        router: router,
        configuration: configuration,
        services: [database, dailyDigest],
        logger: logger
    )
}
