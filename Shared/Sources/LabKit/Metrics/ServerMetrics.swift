import Foundation

/// A scenario server's own `/metrics` (Prometheus text format), read by `./lab load` before, during and after
/// a run, so the summary shows what the server saw next to what the users saw: connections opened, and the
/// pool's peak use, queue and waiting time. Grafana shows the same over time; this puts it next to the verdict.
public struct ServerMetrics: Sendable, Equatable {
    /// One line of the exposition: name, labels, value.
    public struct Sample: Sendable, Equatable {
        public var name: String
        public var labels: [String: String]
        public var value: Double

        public init(name: String, labels: [String: String] = [:], value: Double) {
            self.name = name
            self.labels = labels
            self.value = value
        }
    }

    public var samples: [Sample]

    public init(samples: [Sample]) {
        self.samples = samples
    }

    /// Parses the text format's sample lines (`name{a="x",b="y"} 1.5`); comments and blank lines are skipped.
    public static func parse(_ text: String) -> ServerMetrics {
        var samples: [Sample] = []
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let (series, valueText): (Substring, Substring)
            if let close = line.lastIndex(of: "}") {
                series = line[...close]
                valueText = line[line.index(after: close)...]
            } else {
                let parts = line.split(separator: " ", maxSplits: 1)
                guard parts.count == 2 else { continue }
                (series, valueText) = (parts[0], parts[1])
            }
            guard let value = Double(valueText.trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") else { continue }
            var name = series
            var labels: [String: String] = [:]
            if let open = series.firstIndex(of: "{") {
                name = series[..<open]
                let body = series[series.index(after: open)..<series.index(before: series.endIndex)]
                // Label values here never contain `",` (routes, statuses, query names).
                for pair in body.split(separator: ",") {
                    let keyValue = pair.split(separator: "=", maxSplits: 1)
                    guard keyValue.count == 2 else { continue }
                    labels[String(keyValue[0]).trimmingCharacters(in: .whitespaces)] = String(keyValue[1]).trimmingCharacters(
                        in: CharacterSet(charactersIn: "\" ")
                    )
                }
            }
            samples.append(Sample(name: String(name), labels: labels, value: value))
        }
        return ServerMetrics(samples: samples)
    }

    /// `GET /metrics` on 127.0.0.1:`port`; nil when the server does not answer. Async: the GET runs on a thread
    /// of its own (``LocalHTTP``).
    public static func fetch(port: Int) async -> ServerMetrics? {
        guard let response = await LocalHTTP.get(port: port, path: "/metrics", timeoutSeconds: 2), response.status == 200 else { return nil }
        return self.parse(response.body)
    }

    /// Each instance's metrics, in order (nil where one does not answer).
    public static func fetch(_ instances: [ServerInstance]) async -> [ServerMetrics?] {
        var all: [ServerMetrics?] = []
        for instance in instances { all.append(await self.fetch(port: instance.port)) }
        return all
    }

    /// The sum of every series named `name` whose labels include `matching`.
    public func sum(_ name: String, matching: (([String: String]) -> Bool)? = nil) -> Double {
        self.samples.filter { $0.name == name && (matching?($0.labels) ?? true) }.reduce(0) { $0 + $1.value }
    }

    /// Cumulative bucket counts of histogram `name` (summed over its other labels), by upper bound.
    func buckets(_ name: String, matching: (([String: String]) -> Bool)? = nil) -> [(upperBound: Double, count: Double)] {
        var byBound: [Double: Double] = [:]
        for sample in self.samples where sample.name == name + "_bucket" && (matching?(sample.labels) ?? true) {
            guard let le = sample.labels["le"], let bound = le == "+Inf" ? Double.infinity : Double(le) else { continue }
            byBound[bound, default: 0] += sample.value
        }
        return byBound.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    /// The `quantile` of what histogram `name` observed between `earlier` and `self`, interpolated inside a
    /// bucket the way Prometheus's `histogram_quantile` does. Nil when nothing was observed.
    public func quantile(
        _ quantile: Double,
        of name: String,
        since earlier: ServerMetrics,
        matching: (([String: String]) -> Bool)? = nil
    ) -> Double? {
        let before = Dictionary(earlier.buckets(name, matching: matching).map { ($0.upperBound, $0.count) }, uniquingKeysWith: +)
        let delta = self.buckets(name, matching: matching).map { (upperBound: $0.upperBound, count: $0.count - (before[$0.upperBound] ?? 0)) }
        guard let total = delta.last?.count, total > 0 else { return nil }
        let rank = quantile * total
        var previousBound = 0.0
        var previousCount = 0.0
        for bucket in delta {
            if bucket.count >= rank {
                // Above the last finite bound Prometheus answers that bound; so do we.
                if bucket.upperBound.isInfinite { return previousBound }
                let inBucket = bucket.count - previousCount
                let fraction = inBucket > 0 ? (rank - previousCount) / inBucket : 1
                return previousBound + (bucket.upperBound - previousBound) * fraction
            }
            previousBound = bucket.upperBound
            previousCount = bucket.count
        }
        return previousBound
    }
}
