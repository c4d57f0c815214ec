import NIOCore
import NIOPosix

/// Runs a ``LoadPlan`` and returns what it measured.
///
/// Written by hand on swift-nio rather than wrapping a tool: autocannon and wrk are not available to every
/// learner (wrk reports no timeouts per request and cannot draw parameters from our seeded data), and keeping
/// the tool in Swift means one toolchain for the whole lab. Each virtual user is an event-loop-bound state
/// machine (no task or lock per request), so the generator costs little CPU next to the server it measures;
/// `Shared/bench/loadtest-vs-wrk.sh` checks that against wrk.
public enum LoadGenerator {
    /// A progress line, produced once a second while the test runs.
    public struct Progress: Sendable {
        public var elapsedSeconds: Double
        /// Answers received during the last interval, per second.
        public var requestsPerSecond: Double
        public var sent: Int
        public var failed: Int
        /// p99 latency over everything recorded so far, in milliseconds.
        public var p99Milliseconds: Double
    }

    /// Sends the plan's load and returns the result.
    /// - Parameters:
    ///   - plan: what to send; validated first.
    ///   - onProgress: called about once a second with the numbers so far (for the live progress line).
    public static func run(_ plan: LoadPlan, onProgress: (@Sendable (Progress) -> Void)? = nil) async throws -> LoadResult {
        try plan.validate()
        let target = try HTTPTarget(url: plan.url)
        let mix = RequestMix(plan: plan, host: target.port == 80 ? target.host : "\(target.host):\(target.port)")
        let group = MultiThreadedEventLoopGroup(numberOfThreads: plan.threads)
        do {
            let result = try await self.run(plan, target: target, mix: mix, group: group, onProgress: onProgress)
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private static func run(
        _ plan: LoadPlan,
        target: HTTPTarget,
        mix: RequestMix,
        group: MultiThreadedEventLoopGroup,
        onProgress: (@Sendable (Progress) -> Void)?
    ) async throws -> LoadResult {
        let loops = Array(group.makeIterator())
        let timeout = TimeAmount.nanoseconds(Int64(plan.timeoutSeconds * 1e9))

        // One worker per event loop; users are spread over them round-robin.
        var workers: [NIOLoopBound<Worker>] = []
        for (index, loop) in loops.enumerated() {
            let userCount = plan.users / loops.count + (index < plan.users % loops.count ? 1 : 0)
            workers.append(
                try await loop.submit {
                    NIOLoopBound(
                        Worker(
                            eventLoop: loop,
                            mix: mix,
                            endpoints: plan.requests.count,
                            target: target,
                            timeout: timeout,
                            users: userCount,
                            seed: plan.seed &+ UInt64(index) &* 1_000_003
                        ),
                        eventLoop: loop
                    )
                }.get()
            )
        }

        let start = ContinuousClock.now
        for worker in workers {
            try await worker.eventLoop.submit { worker.value.start() }.get()
        }

        let progressTask = Task {
            var last = 0
            var tick = 1
            while !Task.isCancelled {
                try await Task.sleep(until: start + .seconds(tick), clock: .continuous)
                let snapshot = try await self.snapshot(workers)
                let answered = snapshot.answeredInWindow
                onProgress?(
                    Progress(
                        elapsedSeconds: Double(tick),
                        requestsPerSecond: Double(answered - last),
                        sent: snapshot.counts.sent,
                        failed: snapshot.counts.timeouts + snapshot.counts.connectionErrors + snapshot.counts.httpErrorCount,
                        p99Milliseconds: snapshot.latency.summary.p99
                    )
                )
                last = answered
                tick += 1
            }
        }

        try await Task.sleep(until: start + .milliseconds(Int64(plan.durationSeconds * 1000)), clock: .continuous)
        let window = (ContinuousClock.now - start).seconds
        progressTask.cancel()
        // Stop sending; wait for the requests in flight to be answered or to time out.
        for worker in workers {
            try await worker.eventLoop.flatSubmit { worker.value.stop() }.get()
        }
        let elapsed = (ContinuousClock.now - start).seconds

        var total = LoadStats.Bucket()
        var endpoints = Array(repeating: LoadStats.Bucket(), count: plan.requests.count)
        for worker in workers {
            let (workerTotal, workerEndpoints) = try await worker.eventLoop.submit {
                (worker.value.stats.total, worker.value.stats.byEndpoint)
            }.get()
            total.merge(workerTotal)
            for index in endpoints.indices { endpoints[index].merge(workerEndpoints[index]) }
        }
        return LoadResult(
            url: plan.url,
            users: plan.users,
            durationSeconds: plan.durationSeconds,
            timeoutSeconds: plan.timeoutSeconds,
            elapsedSeconds: elapsed,
            totals: total.finished(windowSeconds: window),
            endpoints: zip(plan.requests, endpoints).map { template, bucket in
                LoadResult.Endpoint(name: template.name, counts: bucket.finished(windowSeconds: window), targets: template.targets)
            }
        )
    }

    private static func snapshot(_ workers: [NIOLoopBound<Worker>]) async throws -> LoadStats.Bucket {
        var merged = LoadStats.Bucket()
        for worker in workers {
            merged.merge(try await worker.eventLoop.submit { worker.value.stats.total }.get())
        }
        return merged
    }

    /// The users and stats of one event loop.
    final class Worker {
        let eventLoop: any EventLoop
        let stats: LoadStats
        let users: [VirtualUser]

        init(eventLoop: any EventLoop, mix: RequestMix, endpoints: Int, target: HTTPTarget, timeout: TimeAmount, users: Int, seed: UInt64) {
            self.eventLoop = eventLoop
            let stats = LoadStats(endpointCount: endpoints)
            self.stats = stats
            self.users = (0..<users).map { index in
                VirtualUser(eventLoop: eventLoop, mix: mix, stats: stats, target: target, timeout: timeout, seed: seed &+ UInt64(index) &* 7919)
            }
        }

        private var sweeping = true

        func start() {
            for user in self.users { user.start() }
            self.sweepTimeouts()
        }

        /// One timer for all users of this loop, every 10 ms: plenty of precision for timeouts of seconds.
        private func sweepTimeouts() {
            guard self.sweeping else { return }
            let now = VirtualUser.now()
            for user in self.users { user.checkTimeout(now: now) }
            self.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(10)) { self.sweepTimeouts() }
        }

        /// Ends the throughput window now and stops every user; completes when all in-flight requests are counted.
        func stop() -> EventLoopFuture<Void> {
            self.stats.windowEnd = VirtualUser.now()
            for user in self.users { user.stop() }
            return EventLoopFuture.andAllSucceed(self.users.map(\.finishedFuture), on: self.eventLoop).assumeIsolated().always { _ in
                self.sweeping = false
            }.nonisolated()
        }
    }
}

extension Duration {
    /// Seconds as a Double, for reports and rates.
    public var seconds: Double {
        let (seconds, attoseconds) = self.components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
