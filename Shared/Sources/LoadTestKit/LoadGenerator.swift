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
        /// Requests that succeeded during the last interval, per second (the same throughput as the result).
        public var requestsPerSecond: Double
        public var sent: Int
        public var failed: Int
        /// p99 latency over everything recorded so far, in milliseconds.
        public var p99Milliseconds: Double
        /// The p99 so far falls among requests that got no answer (``LoadResult/Latency/isUnanswered(_:)``).
        public var p99Unanswered: Bool
    }

    /// Sends the plan's load and returns the result.
    /// - Parameters:
    ///   - plan: what to send; validated first.
    ///   - onProgress: called about once a second with the numbers so far (for the live progress line).
    ///   - stopEarly: asked every 0.1 s; true ends the load before the plan's duration (a load that lasts
    ///     as long as something else does, a deploy). The duration stays the longest it may run.
    public static func run(
        _ plan: LoadPlan,
        onProgress: (@Sendable (Progress) -> Void)? = nil,
        stopEarly: (@Sendable () -> Bool)? = nil
    ) async throws -> LoadResult {
        try plan.validate()
        let target = try HTTPTarget(url: plan.url)
        let address: SocketAddress
        do {
            address = try SocketAddress.makeAddressResolvingHost(target.host, port: target.port)
        } catch {
            throw LoadPlanError.invalid("cannot find the address of \(target.host): \(error)")
        }
        let host = target.port == 80 ? target.host : "\(target.host):\(target.port)"
        let traffic: Traffic = plan.journeys.isEmpty ? .requests(RequestMix(plan: plan, host: host)) : .journeys(JourneyMix(plan: plan, host: host))
        let group = MultiThreadedEventLoopGroup(numberOfThreads: plan.threads)
        do {
            let result = try await self.run(plan, target: address, traffic: traffic, group: group, onProgress: onProgress, stopEarly: stopEarly)
            try await group.shutdownGracefully()
            return result
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
    }

    /// What the users send: independent requests, or journeys.
    enum Traffic: Sendable {
        case requests(RequestMix)
        case journeys(JourneyMix)

        /// The endpoints results are counted under: the mix's requests, or every step of every journey.
        func endpointCount(_ plan: LoadPlan) -> Int {
            switch self {
            case .requests: plan.requests.count
            case .journeys(let mix): mix.firstEndpoint.last.map { $0 + plan.journeys.last!.steps.count } ?? 0
            }
        }
    }

    private static func run(
        _ plan: LoadPlan,
        target: SocketAddress,
        traffic: Traffic,
        group: MultiThreadedEventLoopGroup,
        onProgress: (@Sendable (Progress) -> Void)?,
        stopEarly: (@Sendable () -> Bool)?
    ) async throws -> LoadResult {
        let loops = Array(group.makeIterator())
        let timeout = TimeAmount.nanoseconds(Int64(plan.timeoutSeconds * 1e9))
        let (sources, sourcesText) = await SourceAddresses.choose(for: plan, target: target, on: loops[0])

        // One worker per event loop; users are spread over them round-robin.
        let endpointCount = traffic.endpointCount(plan)
        var workers: [NIOLoopBound<Worker>] = []
        for (index, loop) in loops.enumerated() {
            let users = Array(stride(from: index, to: plan.users, by: loops.count))
            workers.append(
                try await loop.submit {
                    NIOLoopBound(
                        Worker(
                            eventLoop: loop,
                            traffic: traffic,
                            endpoints: endpointCount,
                            target: target,
                            sources: sources,
                            timeout: timeout,
                            users: users,
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
                let succeeded = snapshot.succeededInWindow
                let latency = snapshot.latency.summary(noAnswerMilliseconds: plan.timeoutSeconds * 1000)
                onProgress?(
                    Progress(
                        elapsedSeconds: Double(tick),
                        requestsPerSecond: Double(succeeded - last),
                        sent: snapshot.counts.sent,
                        failed: snapshot.counts.timeouts + snapshot.counts.connectionErrors + snapshot.counts.httpErrorCount
                            + snapshot.counts.wrongAnswers,
                        p99Milliseconds: latency.p99,
                        p99Unanswered: latency.isUnanswered(.p99)
                    )
                )
                last = succeeded
                tick += 1
            }
        }

        let end = start + .milliseconds(Int64(plan.durationSeconds * 1000))
        if let stopEarly {
            while ContinuousClock.now < end, !stopEarly() { try await Task.sleep(for: .milliseconds(100)) }
        } else {
            try await Task.sleep(until: end, clock: .continuous)
        }
        let window = (ContinuousClock.now - start).seconds
        progressTask.cancel()
        // Stop sending; wait for the requests in flight to be answered or to time out.
        for worker in workers {
            try await worker.eventLoop.flatSubmit { worker.value.stop() }.get()
        }
        let elapsed = (ContinuousClock.now - start).seconds

        var endpoints = Array(repeating: LoadStats.Bucket(), count: endpointCount)
        var journeys = Array(repeating: LoadStats.Bucket(), count: plan.journeys.count)
        var failures = Array(repeating: [String: [String: Int]](), count: plan.journeys.count)
        for worker in workers {
            let (workerEndpoints, workerJourneys) = try await worker.eventLoop.submit {
                (worker.value.stats.byEndpoint, worker.value.journeyStats.map { ($0.journeys, $0.failures) })
            }.get()
            for index in endpoints.indices { endpoints[index].merge(workerEndpoints[index]) }
            if let (buckets, reasons) = workerJourneys {
                for index in journeys.indices {
                    journeys[index].merge(buckets[index])
                    failures[index].merge(reasons[index]) { $0.merging($1, uniquingKeysWith: +) }
                }
            }
        }
        var total = LoadStats.Bucket()
        for endpoint in endpoints { total.merge(endpoint) }
        let names = plan.journeys.isEmpty ? plan.requests.map(\.name) : plan.journeys.flatMap(\.stepNames)
        let targets = plan.journeys.isEmpty ? plan.requests.map(\.targets) : Array(repeating: nil, count: names.count)
        return LoadResult(
            url: plan.url,
            users: plan.users,
            // A load stopped early lasted its window, not the plan's longest.
            durationSeconds: stopEarly == nil ? plan.durationSeconds : (window * 10).rounded() / 10,
            timeoutSeconds: plan.timeoutSeconds,
            elapsedSeconds: elapsed,
            totals: total.finished(windowSeconds: window, timeoutSeconds: plan.timeoutSeconds),
            endpoints: endpoints.indices.map { index in
                LoadResult.Endpoint(
                    name: names[index],
                    counts: endpoints[index].finished(windowSeconds: window, timeoutSeconds: plan.timeoutSeconds),
                    targets: targets[index]
                )
            },
            journeys: plan.journeys.isEmpty
                ? nil
                : plan.journeys.indices.map { index in
                    LoadResult.JourneyResult(
                        name: plan.journeys[index].name,
                        counts: journeys[index].finished(windowSeconds: window, timeoutSeconds: plan.timeoutSeconds),
                        targets: plan.journeys[index].targets,
                        failures: failures[index]
                    )
                },
            sourceAddresses: sourcesText
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
        /// Whole journeys (nil for a request mix).
        let journeyStats: JourneyStats?
        let users: [VirtualUser]

        /// - Parameter users: the numbers of this worker's users among all users of the plan (each journey
        ///   user draws its accounts from its own share of the parameter values).
        init(
            eventLoop: any EventLoop,
            traffic: Traffic,
            endpoints: Int,
            target: SocketAddress,
            sources: SourceAddresses,
            timeout: TimeAmount,
            users: [Int],
            seed: UInt64
        ) {
            self.eventLoop = eventLoop
            let stats = LoadStats(endpointCount: endpoints)
            self.stats = stats
            var journeyStats: JourneyStats?
            if case .journeys(let mix) = traffic { journeyStats = JourneyStats(journeyCount: mix.journeys.count) }
            self.journeyStats = journeyStats
            self.users = users.enumerated().map { index, user in
                let userSeed = seed &+ UInt64(index) &* 7919
                let script: any UserScript =
                    switch traffic {
                    case .requests(let mix): MixScript(mix: mix, seed: userSeed)
                    case .journeys(let mix): JourneyScript(mix: mix, stats: journeyStats!, user: user, seed: userSeed)
                    }
                return VirtualUser(
                    eventLoop: eventLoop,
                    script: script,
                    stats: stats,
                    target: target,
                    sources: (sources.address(user: user, asAnotherUser: false), sources.address(user: user, asAnotherUser: true)),
                    timeout: timeout
                )
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
            self.journeyStats?.windowEnd = self.stats.windowEnd
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
