/// Names a number of the server's own `/metrics` over a load, for a check (`checks.json`): any series, with
/// a label filter, the way a Prometheus query would pick it.
///
/// What the number is depends on the series: a counter (`..._total`) gives how much it grew during the
/// load; a histogram with a ``quantile`` gives that quantile of what it observed during the load; anything
/// else (a gauge) gives the highest value seen before, during (once a second) or after the load. Every
/// instance's series are added up.
public struct MetricSelector: Codable, Sendable, Equatable {
    /// The series (`db_pool_acquire_timeouts_total`, `db_pool_wait_seconds`, `cache_requests_total`).
    public var name: String
    /// Only samples with these labels. A value starting with `!` keeps the others instead, `|` separating
    /// several (`"route": "!/metrics|/health"`).
    public var labels: [String: String]?
    /// For a histogram: this quantile (0.99) of what it observed during the load.
    public var quantile: Double?
    /// Multiplies the number (1000: seconds to milliseconds; 100: a ratio to a percentage).
    public var scale: Double?

    public init(name: String, labels: [String: String]? = nil, quantile: Double? = nil, scale: Double? = nil) {
        self.name = name
        self.labels = labels
        self.quantile = quantile
        self.scale = scale
    }

    /// The number over the load `summary` saw; nil when the server does not have the series (or, for a
    /// histogram, observed nothing).
    public func value(in summary: ServerMetricsSummary) -> Double? {
        let raw: Double?
        if let quantile = self.quantile {
            raw = summary.after.quantile(quantile, of: self.name, since: summary.before, matching: self.matches)
        } else if self.name.hasSuffix("_total") || self.name.hasSuffix("_count") || self.name.hasSuffix("_sum") {
            guard self.exists(in: summary.after) else { return nil }
            raw = summary.after.sum(self.name, matching: self.matches) - summary.before.sum(self.name, matching: self.matches)
        } else {
            let moments = [summary.before] + summary.during + [summary.after]
            guard moments.contains(where: self.exists) else { return nil }
            raw = moments.map { $0.sum(self.name, matching: self.matches) }.max()
        }
        return raw.map { $0 * (self.scale ?? 1) }
    }

    func exists(in metrics: ServerMetrics) -> Bool {
        metrics.samples.contains { $0.name == self.name && self.matches($0.labels) }
    }

    /// Whether a sample's labels pass ``labels``.
    func matches(_ labels: [String: String]) -> Bool {
        for (key, wanted) in self.labels ?? [:] {
            let value = labels[key] ?? ""
            if wanted.hasPrefix("!") {
                if wanted.dropFirst().split(separator: "|").contains(where: { $0 == value }) { return false }
            } else if value != wanted {
                return false
            }
        }
        return true
    }
}

/// One number divided by another, for a check: connections opened per request, a cache's hit ratio.
public struct MetricRatio: Codable, Sendable, Equatable {
    public var of: MetricSelector
    public var to: MetricSelector
    /// Multiplies the ratio (100 for a percentage).
    public var scale: Double?

    public init(of: MetricSelector, to: MetricSelector, scale: Double? = nil) {
        self.of = of
        self.to = to
        self.scale = scale
    }

    /// Nil when either side is missing or the denominator is zero (nothing happened).
    public func value(in summary: ServerMetricsSummary) -> Double? {
        guard let numerator = self.of.value(in: summary), let denominator = self.to.value(in: summary), denominator > 0 else { return nil }
        return numerator / denominator * (self.scale ?? 1)
    }
}
