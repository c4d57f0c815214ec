import Foundation
import Hummingbird
import PostgresNIO

/// `GET /recipes/{id}`.
struct Recipe: ResponseEncodable {
    var id: Int
    var title: String
    var minutes: Int
    var author: Author

    struct Author: Codable {
        var id: Int
        var displayName: String
    }

    /// Columns: id, title, minutes, author id, author display name.
    init(_ row: PostgresRow) throws {
        let (id, title, minutes, authorID, authorName) = try row.decode((Int, String, Int, Int, String).self)
        (self.id, self.title, self.minutes, self.author) = (id, title, minutes, Author(id: authorID, displayName: authorName))
    }
}

/// A member's own account (`POST /login`, `GET /me`, `PATCH /me`).
struct Member: ResponseEncodable {
    var id: Int
    var email: String
    var displayName: String

    /// Columns: id, email, display_name.
    init(_ row: PostgresRow) throws {
        (self.id, self.email, self.displayName) = try row.decode((Int, String, String).self)
    }
}

/// A member's public profile (`GET /members/{id}`).
struct Profile: ResponseEncodable, Sendable {
    var id: Int
    var displayName: String
    var joined: Date
    var recipes: Int

    /// Columns: id, display_name, joined_at, number of recipes.
    init(_ row: PostgresRow) throws {
        (self.id, self.displayName, self.joined, self.recipes) = try row.decode((Int, String, Date, Int).self)
    }
}

/// The body of `POST /login`. An implausible email or password is a 400 before anything is looked up or
/// counted (so nobody can fill the login counters with megabytes of made-up addresses).
struct LoginRequest: Decodable {
    var email: String
    var password: String

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.email = try container.decode(String.self, forKey: .email)
        self.password = try container.decode(String.self, forKey: .password)
        guard (3...254).contains(self.email.count), self.email.contains("@"),
            !self.email.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 32 })
        else {
            throw DecodingError.dataCorruptedError(forKey: .email, in: container, debugDescription: "not an email address")
        }
        guard (1...200).contains(self.password.count) else {
            throw DecodingError.dataCorruptedError(forKey: .password, in: container, debugDescription: "a password has 1 to 200 characters")
        }
    }

    enum CodingKeys: String, CodingKey { case email, password }
}

/// The body of `PATCH /me`.
struct NameChange: Decodable {
    var displayName: String

    /// The new name, trimmed; 400 when it is empty or longer than 60 characters.
    func validName() throws -> String {
        let name = self.displayName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (1...60).contains(name.count) else {
            throw HTTPError(.badRequest, message: "displayName must have 1 to 60 characters")
        }
        return name
    }
}

/// A new session id: 128 random bits as 32 hex digits, impossible to guess.
func newSessionID() -> String {
    var random = SystemRandomNumberGenerator()
    return (0..<2).map { _ in
        let hex = String(random.next() as UInt64, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }.joined()
}
