import NIOCore
import Synchronization

/// A command (or a pipeline of them) written to a connection and waiting for its replies, in the
/// connection's first-in-first-out queue.
///
/// The caller can stop waiting early (its task is cancelled, its deadline passes, the connection drops),
/// but the entry stays in the queue until Redis has sent every reply it owes: those replies are read and
/// thrown away, so the *next* caller on the connection gets its own reply, never an earlier caller's.
/// Exactly one of reply / failure / cancellation resumes the caller, whichever comes first.
final class PendingReplies: Sendable {
    /// How many replies Redis owes for this entry.
    let expected: Int
    let deadline: NIODeadline
    /// The time allowed, for the timeout message.
    let timeout: Duration
    /// The first command's name, for the timeout message.
    let commandName: String
    private let state: Mutex<State>

    private struct State {
        var waiter = Waiter.notYet
        var received = 0
        var replies: [RESPValue] = []
    }

    private enum Waiter {
        case notYet
        case one(UnsafeContinuation<RESPValue, any Error>)
        case many(UnsafeContinuation<[RESPValue], any Error>)
        /// Failed (cancelled) before the caller started waiting: the error it gets when it does.
        case failedEarly(any Error)
        case done
    }

    init(expected: Int, timeout: Duration, commandName: String) {
        self.expected = expected
        self.timeout = timeout
        self.deadline = .now() + TimeAmount(timeout)
        self.commandName = commandName
        self.state = Mutex(State())
    }

    /// Registers the caller waiting for one reply. False if the entry already failed (the continuation has
    /// been resumed with the error): the command must not be written then.
    func wait(for continuation: UnsafeContinuation<RESPValue, any Error>) -> Bool {
        self.attach(.one(continuation))
    }

    /// Registers the caller waiting for all replies of a pipeline.
    func wait(forAll continuation: UnsafeContinuation<[RESPValue], any Error>) -> Bool {
        self.attach(.many(continuation))
    }

    private func attach(_ waiter: Waiter) -> Bool {
        let early: (any Error)? = self.state.withLock { state in
            if case .failedEarly(let error) = state.waiter {
                state.waiter = .done
                return error
            }
            state.waiter = waiter
            return nil
        }
        guard let early else { return true }
        switch waiter {
        case .one(let continuation): continuation.resume(throwing: early)
        case .many(let continuation): continuation.resume(throwing: early)
        default: break
        }
        return false
    }

    /// One reply arrived for this entry. True once every reply owed has arrived (the entry leaves the queue).
    func receive(_ value: RESPValue) -> Bool {
        enum Action {
            case none
            case one(UnsafeContinuation<RESPValue, any Error>)
            case many(UnsafeContinuation<[RESPValue], any Error>, [RESPValue])
        }
        let (complete, action): (Bool, Action) = self.state.withLock { state in
            state.received += 1
            let complete = state.received >= self.expected
            switch state.waiter {
            case .one(let continuation):
                state.waiter = .done
                return (complete, .one(continuation))
            case .many(let continuation):
                state.replies.append(value)
                guard complete else { return (false, .none) }
                state.waiter = .done
                let replies = state.replies
                state.replies = []
                return (true, .many(continuation, replies))
            case .notYet, .failedEarly, .done:
                return (complete, .none)
            }
        }
        switch action {
        case .none: break
        case .one(let continuation): continuation.resume(returning: value)
        case .many(let continuation, let replies): continuation.resume(returning: replies)
        }
        return complete
    }

    /// Stops the caller waiting with `error` (cancelled, timed out, connection lost). Replies still owed are
    /// drained by the queue. False if the caller had already been answered or failed.
    @discardableResult
    func fail(_ error: any Error) -> Bool {
        let waiter: Waiter = self.state.withLock { state in
            let waiter = state.waiter
            switch waiter {
            case .notYet:
                state.waiter = .failedEarly(error)
            case .one, .many:
                state.waiter = .done
                state.replies = []
            case .failedEarly, .done:
                break
            }
            return waiter
        }
        switch waiter {
        case .notYet: return true
        case .one(let continuation): continuation.resume(throwing: error)
        case .many(let continuation): continuation.resume(throwing: error)
        case .failedEarly, .done: return false
        }
        return true
    }

    /// True when nobody waits for this entry any more (and it is not yet written, it need not be).
    var isAbandoned: Bool {
        self.state.withLock { state in
            switch state.waiter {
            case .failedEarly, .done: return true
            case .notYet, .one, .many: return false
            }
        }
    }
}
