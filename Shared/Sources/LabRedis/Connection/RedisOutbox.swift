import NIOCore
import Synchronization

/// Commands handed to a connection from any thread, waiting for its event loop to write them; and why the
/// connection closed, once it has. One lock decides both, so a command either gets written or fails with
/// the reason, never neither.
final class RedisOutbox: Sendable {
    private let state = Mutex(State())

    private struct State {
        var items: [(PendingReplies, ByteBuffer)] = []
        var closedBecause: (any Error)?
    }

    /// Queues a command. Returns `.scheduleWrite` when the event loop must be woken to write (the outbox was
    /// empty), `.queued` when a wake-up is already on its way, or the error the connection closed with.
    func append(_ pending: PendingReplies, _ bytes: ByteBuffer) -> AppendResult {
        self.state.withLock { state in
            if let error = state.closedBecause { return .closed(error) }
            state.items.append((pending, bytes))
            return state.items.count == 1 ? .scheduleWrite : .queued
        }
    }

    enum AppendResult {
        case scheduleWrite
        case queued
        case closed(any Error)
    }

    /// Everything queued so far; `spare` (emptied) becomes the next queue, so no array is allocated per batch.
    func take(swappingWith spare: inout [(PendingReplies, ByteBuffer)]) {
        self.state.withLock { state in swap(&state.items, &spare) }
    }

    /// Marks the connection closed and returns what was still waiting to be written.
    func close(because error: any Error) -> [(PendingReplies, ByteBuffer)] {
        self.state.withLock { state in
            if state.closedBecause == nil { state.closedBecause = error }
            defer { state.items = [] }
            return state.items
        }
    }

    /// Why the connection closed, or nil while it is open.
    var closedBecause: (any Error)? {
        self.state.withLock { $0.closedBecause }
    }
}
