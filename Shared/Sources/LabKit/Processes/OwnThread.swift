import Foundation

/// Runs blocking work (`waitpid`, a blocking socket read) on a thread of its own and waits for it without
/// blocking: Swift's cooperative pool has only as many threads as cores (two here), and a load's samplers and
/// timers need them meanwhile.
func onThreadOfItsOwn<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        Thread { continuation.resume(returning: work()) }.start()
    }
}
