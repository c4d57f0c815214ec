import Foundation
import Hummingbird

/// Uploaded avatars, saved as files in the `uploads/` folder next to the running server: one file per
/// member, `uploads/17.svg` or `uploads/17.png`.
struct AvatarFiles: Sendable {
    let folder = URL(fileURLWithPath: "uploads")

    func save(_ image: ByteBuffer, type: AvatarType, for memberID: Int) throws {
        try FileManager.default.createDirectory(at: self.folder, withIntermediateDirectories: true)
        for other in AvatarType.allCases where other != type {
            try? FileManager.default.removeItem(at: self.file(memberID, other))
        }
        try Data(buffer: image).write(to: self.file(memberID, type), options: .atomic)
    }

    /// The member's avatar and its type, or nil when they have none.
    func load(for memberID: Int) throws -> (ByteBuffer, AvatarType)? {
        for type in AvatarType.allCases {
            if let data = FileManager.default.contents(atPath: self.file(memberID, type).path) {
                return (ByteBuffer(bytes: data), type)
            }
        }
        return nil
    }

    private func file(_ memberID: Int, _ type: AvatarType) -> URL {
        self.folder.appendingPathComponent("\(memberID).\(type.fileExtension)")
    }
}
