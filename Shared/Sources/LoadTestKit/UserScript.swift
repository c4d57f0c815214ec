import NIOCore
import NIOHTTP1

/// What one virtual user sends and how it judges each answer. ``VirtualUser`` owns the connection (connect,
/// send, time out, reconnect); the script decides the requests: independent requests from a weighted mix
/// (``MixScript``), or scripted journeys (``JourneyScript``).
///
/// Like the virtual user, a script lives on one event loop and is only touched from it.
protocol UserScript: AnyObject {
    /// Whether the answer's headers and body are needed to judge it (journeys: cookies, expected text).
    var readsAnswers: Bool { get }
    /// A journey has started and not ended: the user finishes it even after the test's time is up.
    var isMidJourney: Bool { get }
    /// The next request: the endpoint it counts under, its bytes, and whose connection it goes on.
    func next() -> ScriptedRequest
    /// Judges the answer to the last request sent; `now` is when it arrived.
    func judge(_ answer: Answer, endpoint: Int, now: UInt64) -> LoadStats.Outcome
    /// The last request sent got no answer (`.timeout` or `.connectionError`).
    func failed(_ outcome: LoadStats.Outcome, endpoint: Int, now: UInt64)
}

/// One request a script wants sent.
struct ScriptedRequest {
    /// The endpoint (request kind or journey step) it counts under.
    var endpoint: Int
    /// The request, ready to write.
    var bytes: ByteBuffer
    /// Sent as another user would (``JourneyStep/asAnotherUser``): on the virtual user's second connection,
    /// from another source address, without the user's cookies.
    var asAnotherUser = false
}

/// An answer as the script sees it. `headers` and `body` are only collected when ``UserScript/readsAnswers``.
struct Answer {
    var status: Int
    var headers: HTTPHeaders
    var body: ByteBuffer?
}

/// The classic load test: independent requests picked from the plan's weighted mix, any 2xx a success.
/// The requests are encoded before the test (``RequestMix``), so the hot path only picks a buffer.
final class MixScript: UserScript {
    let mix: RequestMix
    var rng: SplitMix64

    init(mix: RequestMix, seed: UInt64) {
        self.mix = mix
        self.rng = SplitMix64(seed: seed)
    }

    var readsAnswers: Bool { false }
    var isMidJourney: Bool { false }

    func next() -> ScriptedRequest {
        let (endpoint, bytes) = self.mix.pick(using: &self.rng)
        return ScriptedRequest(endpoint: endpoint, bytes: bytes)
    }

    func judge(_ answer: Answer, endpoint: Int, now: UInt64) -> LoadStats.Outcome {
        (200..<300).contains(answer.status) ? .success : .httpError(status: answer.status)
    }

    func failed(_ outcome: LoadStats.Outcome, endpoint: Int, now: UInt64) {}
}
