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

    static let redeployRequested = Atomic<Bool>(false)

    /// Watch mode only: SIGHUP asks it to restart its instances one at a time (``RollingRestart``).
    public static func installRedeploy() {
        signal(SIGHUP) { _ in Signals.redeployRequested.store(true, ordering: .relaxed) }
    }

    /// Whether a redeploy was asked for since the last call.
    public static var redeployPending: Bool { self.redeployRequested.load(ordering: .relaxed) }

    /// Takes the request: true once per SIGHUP (or several close together).
    public static func takeRedeploy() -> Bool { self.redeployRequested.exchange(false, ordering: .relaxed) }
}
