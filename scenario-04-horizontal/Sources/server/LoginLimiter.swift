import Synchronization

/// Stops password guessing: after 3 failed logins for one email within a minute, every login for that email
/// gets a 429 ("too many requests") until the minute is over.
///
/// Counted in this server's memory.
final class LoginLimiter: Sendable {
    static let maxFailures = 3
    static let window = Duration.seconds(60)
    private let failures = Mutex<[String: (since: ContinuousClock.Instant, count: Int)]>([:])

    /// False when `email` already has 3 failures in its current minute.
    func allows(_ email: String) -> Bool {
        self.failures.withLock { failures in
            guard let entry = failures[email], ContinuousClock.now - entry.since < Self.window else { return true }
            return entry.count < Self.maxFailures
        }
    }

    /// Counts one failed login for `email`.
    func recordFailure(_ email: String) {
        let now = ContinuousClock.now
        self.failures.withLock { failures in
            if let entry = failures[email], now - entry.since < Self.window {
                failures[email] = (entry.since, entry.count + 1)
            } else {
                failures[email] = (now, 1)
            }
            // Forget windows that are over, now and then, so the dictionary does not grow for ever.
            if failures.count > 10_000 { failures = failures.filter { now - $0.value.since < Self.window } }
        }
    }
}
