import Foundation
import LoadTestKit

/// A scenario's `checks.json`: the problems `./lab check` looks for, how it observes each one, what it says
/// when it finds one, and the three levels of hints `./lab hint` gives for it.
///
/// Checks observe behaviour, never source text: the server's own `/metrics` during the standard load, the
/// database (`EXPLAIN`, `pg_indexes`, `pg_stat_activity`). A learner may fix a problem any way they like;
/// the check only asks whether the symptom is gone.
///
/// Adding a scenario's checks means adding its `checks.json`; nothing in Shared changes.
public struct ProblemCatalog: Codable, Sendable {
    /// In the order a learner should tackle them: `./lab hint` helps with the first one still found.
    public var problems: [Problem]

    public struct Problem: Codable, Sendable {
        /// Stable identifier, stored in the progress file (`connection-per-request`).
        public var id: String
        /// What the problem is, in a few words (`a new connection for every request`).
        public var title: String
        public var observe: Observation
        /// Printed when found; `{value}` is replaced by the observed number or plan line.
        public var found: String
        /// Level 1: where to look. Level 2: which concept. Level 3: the shape of the fix.
        public var hints: [String]
    }

    /// One observation and the condition under which it means "the problem is there". Exactly one source and
    /// one condition (``above``, ``below``, ``contains``).
    public struct Observation: Codable, Sendable {
        /// A number of the server's `/metrics` over the load (``MetricSelector``): any series.
        public var metric: MetricSelector?
        /// One number of the server's `/metrics` divided by another (connections per request, a hit ratio).
        public var ratio: MetricRatio?
        /// A query to `EXPLAIN` (as the application role) after the load; the condition reads the plan text.
        /// Name a property of the plan, not the node a planner happens to pick: `Filter: (email =` (rows read
        /// and tested one by one, whether by a Seq Scan or by walking another index) rather than `Seq Scan`.
        public var explain: String?
        /// A query run with `EXPLAIN (ANALYZE, BUFFERS)` after the load; the number is how many 8 KB pages it
        /// touched (read, or found in memory). The work itself, whatever the plan's shape: walking a table or
        /// an index in the wrong order touches thousands, a fitting index a handful.
        public var explainPages: String?
        /// A query returning one number, run after the load (on ``service`` when it names a replica).
        public var sql: String?
        /// With ``sql``: a SELECT run as the superuser before the load, to start the observation from zero
        /// (`pg_stat_reset_single_table_counters` on a table's indexes, so ``sql`` then sees which of them the
        /// load used).
        public var before: String?
        /// A query returning one number, run 10 times during the load; the largest value counts.
        public var sqlDuringLoad: String?
        /// With ``sqlDuringLoad``: run every 100 ms from the load's start to its end instead, for what happens
        /// in short bursts (several requests running the same query at once when a cache is empty or expires).
        public var sampleWholeLoad: Bool?
        /// A field of Redis's `INFO` (`evicted_keys`, `used_memory`) of the Redis ``service``, after the load.
        public var redisInfo: String?
        /// With ``redisInfo`` or ``sql``: how much the number grew during the load, instead of its value after
        /// it (a counter of `pg_stat_database`: rows read, queries cancelled).
        public var change: Bool?
        /// The service ``sql`` and ``redisInfo`` ask (its name in `lab.json`); default: the scenario's
        /// PostgreSQL, or its one Redis.
        public var service: String?
        /// A step of the load's journeys, `journey › step`: the number is the percentage of the journeys
        /// that reached the step and failed there (not observed when none reached it).
        public var journeyStep: String?
        /// Several steps, where the same problem shows (what I see, and what another user sees): the number is
        /// the highest of their failure percentages.
        public var journeySteps: [String]?
        /// With ``journeyStep(s)``: count only the answers with the wrong content (a 200 with stale or missing
        /// data), not errors: a stale cache, told apart from a server that fails outright.
        public var wrongAnswersOnly: Bool?
        /// A path to ask the load balancer for, 10 times from each of 8 users' addresses, after the load: the
        /// number is the percentage of those users whose 10 answers all came from the same instance
        /// (`X-Instance`). A balancer that takes turns scores 0; a sticky one (`ip_hash`) scores 100.
        public var stickyProbe: String?
        /// A fault phase: after the load, a second, short load (``pauseSeconds`` + 6 s) during which the Redis
        /// service of this name stops answering for ``pauseSeconds`` (`CLIENT PAUSE ... ALL`: connections stay
        /// open, commands wait, as with a stuck or overloaded Redis; natively and in Compose alike). The number is
        /// the requests per second answered as expected while Redis was paused, as a percentage of the standard
        /// load's: a server that falls back to the database keeps a share, one that waits on Redis keeps (almost)
        /// none (observe it with `below`). Skipped (not observed) when the
        /// server sent that Redis almost nothing during the standard load: it does not use it.
        public var pauseRedis: String?
        /// With ``pauseRedis``: how long Redis stops answering (default 5 s).
        public var pauseSeconds: Double?
        /// A fault phase of the instances behind the load balancer (``InstanceFault``): after the load, a short
        /// load of its own during which one instance is paused or cut off its database, or every instance is
        /// restarted one at a time (a deploy). The number is the percentage of that load's requests that
        /// failed, or for a deploy how many failed.
        public var instanceFault: InstanceFault?
        /// One number of the load balancer's own metrics (HAProxy's `/metrics`) divided by another, over the
        /// load: new connections to the instances per 100 requests.
        public var balancerRatio: MetricRatio?
        public var above: Double?
        public var below: Double?
        /// For ``explain``: the plan contains this text.
        public var contains: String?

        /// How many sources are set (exactly one is valid).
        var sourceCount: Int {
            [
                self.metric != nil, self.ratio != nil, self.explain != nil, self.explainPages != nil, self.sql != nil,
                self.sqlDuringLoad != nil, self.redisInfo != nil, self.journeyStep != nil, self.journeySteps != nil, self.stickyProbe != nil,
                self.pauseRedis != nil, self.instanceFault != nil, self.balancerRatio != nil,
            ].filter { $0 }.count
        }
    }

    public static let fileName = "checks.json"

    /// The scenario's checks, or nil when it has no `checks.json`.
    /// - Throws: ``LabError`` naming the file and the problem when it is not valid.
    public static func load(for scenario: Scenario) throws -> ProblemCatalog? {
        let file = scenario.file(Self.fileName)
        guard let data = FileManager.default.contents(atPath: file.path) else { return nil }
        let checks: ProblemCatalog
        do {
            checks = try JSONDecoder().decode(ProblemCatalog.self, from: data)
        } catch {
            throw LabError("\(file.path) is not valid: \(error)")
        }
        try checks.validate(file: file.path, steps: scenario.manifest.load.journeys.flatMap(\.stepNames))
        return checks
    }

    /// - Parameter steps: the `journey › step` names of the scenario's load, which ``Observation/journeyStep`` may name.
    func validate(file: String, steps: [String]) throws {
        var ids = Set<String>()
        for problem in self.problems {
            func fail(_ reason: String) -> LabError { LabError("\(file): problem '\(problem.id)': \(reason)") }
            guard ids.insert(problem.id).inserted else { throw fail("the id is used twice") }
            guard problem.hints.count == 3 else { throw fail("needs exactly 3 hints (where to look, which concept, the shape of the fix)") }
            let observe = problem.observe
            guard observe.sourceCount == 1 else {
                throw fail(
                    "observe needs exactly one of metric, ratio, explain, explainPages, sql, sqlDuringLoad, redisInfo, journeyStep, journeySteps, stickyProbe, pauseRedis, instanceFault, balancerRatio"
                )
            }
            let conditions = [observe.above != nil, observe.below != nil, observe.contains != nil].filter { $0 }.count
            guard conditions == 1 else { throw fail("observe needs exactly one of above, below, contains") }
            if observe.explain != nil, observe.contains == nil { throw fail("an explain observation needs contains") }
            if observe.explain == nil, observe.contains != nil { throw fail("contains only works with explain") }
            if observe.service != nil, observe.sql == nil, observe.redisInfo == nil { throw fail("service goes with sql or redisInfo") }
            if observe.before != nil, observe.sql == nil || observe.service != nil { throw fail("before goes with sql on the scenario's PostgreSQL") }
            for step in (observe.journeySteps ?? []) + [observe.journeyStep].compactMap({ $0 }) where !steps.contains(step) {
                throw fail("no journey step '\(step)' in lab.json; the steps are: \(steps.joined(separator: ", "))")
            }
        }
    }
}
