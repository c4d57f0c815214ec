import Hummingbird
import LabServer

/// Uploaded avatars.
///
/// FIX 3 - avatars are stored in PostgreSQL (the `avatars` table), where every instance reads them.
///   Before, they were files in the `uploads/` folder of the instance that received the upload: that
///   instance's own disk. On a real deployment each instance is a separate machine (or container) with its
///   own disk, and here each instance runs in its own folder the same way. The other instance had no such
///   file: 404, about every other time; or worse, an older avatar it had received before.
///   A database is fine for small images like these (64 KB at most). For big files (photos, videos) the
///   usual place is object storage such as Amazon S3: every instance uploads there and reads from there.
///   What matters is the same: not on one instance's disk.
struct AvatarStore: Sendable {
    let database: DatabasePool

    func save(_ image: ByteBuffer, type: AvatarType, for memberID: Int) async throws {
        _ = try await self.database.withConnection { connection in
            try await connection.query(
                named: "save_avatar",
                """
                INSERT INTO avatars (member_id, content_type, image) VALUES (\(memberID), \(type.rawValue), \(image))
                ON CONFLICT (member_id) DO UPDATE SET content_type = excluded.content_type, image = excluded.image, updated_at = now()
                """
            )
        }
    }

    /// The member's avatar and its type, or nil when they have none.
    func load(for memberID: Int) async throws -> (ByteBuffer, AvatarType)? {
        let rows = try await self.database.withConnection { connection in
            try await connection.query(named: "avatar", "SELECT image, content_type FROM avatars WHERE member_id = \(memberID)")
        }
        guard let row = rows.first else { return nil }
        let (image, type) = try row.decode((ByteBuffer, String).self)
        return (image, try AvatarType(type))
    }
}
