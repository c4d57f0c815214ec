import Synchronization

/// Public profiles read in the last minute, so reading a popular profile again costs the database nothing.
///
/// Kept in this server's memory.
final class ProfileCache: Sendable {
    static let keepFor = Duration.seconds(60)
    private let entries = Mutex<[Int: (profile: Profile, storedAt: ContinuousClock.Instant)]>([:])

    /// The cached profile of member `id`, if it was read less than a minute ago.
    func get(_ id: Int) -> Profile? {
        self.entries.withLock { entries in
            guard let entry = entries[id], ContinuousClock.now - entry.storedAt < Self.keepFor else { return nil }
            return entry.profile
        }
    }

    func store(_ profile: Profile) {
        self.entries.withLock { $0[profile.id] = (profile, .now) }
    }

    /// Drops member `id`'s profile after a change, so the next read gets the new one from the database.
    func forget(_ id: Int) {
        self.entries.withLock { $0[id] = nil }
    }
}
