import Hummingbird
import LabServer
import Logging

// Potluck, a recipe-sharing site. It ran fine on one server. Traffic grew, so now TWO instances of this
// same program run side by side, and nginx (the load balancer, on port 8080) sends each request to the
// next instance in turn. Since then, things fail now and then: members are logged out right after
// logging in, a new avatar is "not found", a new display name does not show, password guessing is not
// stopped, the daily digest arrives twice, and adding a third instance made one request in three fail.
//
// Every query is fast. Look instead at where this program keeps things: each `let` below that is not the
// database lives inside ONE instance. `./lab load 04` shows which steps fail, and how.

func buildApplication(_ configuration: LabServerConfiguration) -> some ApplicationProtocol {
    let instance = configuration.instanceName ?? "a"  // "a" or "b": which instance this is
    let logger = configuration.makeLogger(label: "scenario-04.server")

    // 40 connections, opened at start: what this server had when it ran alone.
    // (DATABASE_POOL_SIZE=... replaces the number without a rebuild.)
    let database = DatabasePool(
        url: configuration.databaseURL,
        size: configuration.poolSize ?? 40,
        acquireTimeout: configuration.poolTimeout ?? .seconds(2),
        openAllAtStart: true,
        logger: logger
    )
    let sessions = Sessions()  // who is logged in (Sessions.swift)
    let loginLimiter = LoginLimiter()  // stops password guessing (LoginLimiter.swift)
    let profileCache = ProfileCache()  // recently read profiles (ProfileCache.swift)
    let avatars = AvatarFiles()  // uploaded avatars (AvatarFiles.swift)
    let dailyDigest = DailyDigest(database: database, instance: instance, logger: logger)  // (DailyDigest.swift)

    let router = LabApplication.makeRouter()  // adds /health and /metrics

    // GET /recipes/17 - a recipe and its author. Anyone may read it, logged in or not.
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

    // POST /login {"email": "cook1@example.com", "password": "pancakes"} - starts a session: its id goes
    // back in a cookie, and the browser sends that cookie with every request after this one.
    router.post("/login") { request, context -> EditedResponse<Member> in
        let login = try await request.decode(as: LoginRequest.self, context: context)
        guard loginLimiter.allows(login.email) else {
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
            loginLimiter.recordFailure(login.email)
            throw HTTPError(.unauthorized, message: "wrong email or password")
        }
        var response = EditedResponse(response: member)
        response.setCookie(Cookie(name: "session", value: sessions.start(memberID: member.id), path: "/", sameSite: .lax))
        return response
    }

    // GET /me - the logged-in member's own account.
    router.get("/me") { request, _ -> Member in
        let memberID = try sessions.memberID(for: request)
        let rows = try await database.withConnection { connection in
            try await connection.query(named: "member", "SELECT id, email, display_name FROM members WHERE id = \(memberID)")
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "member \(memberID) is gone") }
        return try Member(row)
    }

    // PATCH /me {"displayName": "Chef Ana"} - change my display name.
    router.patch("/me") { request, context -> Member in
        let memberID = try sessions.memberID(for: request)
        let change = try await request.decode(as: NameChange.self, context: context)
        let name = try change.validName()
        let rows = try await database.withConnection { connection in
            try await connection.query(
                named: "rename",
                "UPDATE members SET display_name = \(name) WHERE id = \(memberID) RETURNING id, email, display_name"
            )
        }
        guard let row = rows.first else { throw HTTPError(.notFound, message: "member \(memberID) is gone") }
        profileCache.forget(memberID)  // so the next read of the profile shows the new name
        return try Member(row)
    }

    // GET /members/17 - a member's public profile: name, when they joined, how many recipes.
    router.get("/members/{id}") { _, context -> Profile in
        let id = try context.parameters.require("id", as: Int.self)
        if let cached = profileCache.get(id) { return cached }
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
        let profile = try Profile(row)
        profileCache.store(profile)
        return profile
    }

    // POST /me/avatar (the image itself as the body, an SVG or a PNG) - upload my avatar.
    router.post("/me/avatar") { request, _ -> HTTPResponse.Status in
        let memberID = try sessions.memberID(for: request)
        let type = try AvatarType(request.headers[.contentType])
        let image = try type.checked(await request.body.collect(upTo: 64 * 1024))
        try avatars.save(image, type: type, for: memberID)
        return .noContent
    }

    // GET /members/17/avatar - a member's avatar, as an image.
    router.get("/members/{id}/avatar") { _, context -> Response in
        let id = try context.parameters.require("id", as: Int.self)
        guard let (image, type) = try avatars.load(for: id) else { throw HTTPError(.notFound, message: "member \(id) has no avatar") }
        return Response(status: .ok, headers: type.servingHeaders, body: .init(byteBuffer: image))
    }

    return LabApplication.makeApplication(
        router: router,
        configuration: configuration,
        services: [database, dailyDigest],
        logger: logger
    )
}
