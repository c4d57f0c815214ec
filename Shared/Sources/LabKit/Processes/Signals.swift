import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ctrl-C handling for foreground commands (`./lab up`): remember that the learner asked to stop, so the
/// command can stop its server cleanly instead of dying mid-way.
///
/// A real handler (not SIG_IGN) so the server started afterwards gets the default behaviour back on exec.
public enum Signals {
    static let stopRequested = Atomic<Bool>(false)

    public static var shouldStop: Bool { self.stopRequested.load(ordering: .relaxed) }

    public static func install() {
        signal(SIGINT) { _ in Signals.stopRequested.store(true, ordering: .relaxed) }
        signal(SIGTERM) { _ in Signals.stopRequested.store(true, ordering: .relaxed) }
    }
}
