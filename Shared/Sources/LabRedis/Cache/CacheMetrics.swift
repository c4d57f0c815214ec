import LabServer
import Prometheus

/// Counts cache lookups by cache and result, `cache_requests_total{cache="products",result="hit"}`, so a
/// learner (and `./lab check`) can read a hit ratio: `hit / (hit + miss)`.
///
/// ``RedisCache`` records its own lookups; a server that caches some other way (in memory, say) calls
/// ``record(cache:hit:)`` so its numbers land in the same series.
public enum CacheMetrics {
    /// Records one lookup of `cache`: a hit (the value was there) or a miss.
    public static func record(cache: String, hit: Bool) {
        LabMetrics.registry.makeCounter(
            descriptor: .init(
                metricName: "cache_requests",
                unitName: "total",
                helpText: "Cache lookups by cache name and result (hit or miss); hit ratio = hit / (hit + miss)."
            ),
            labels: [("cache", cache), ("result", hit ? "hit" : "miss")]
        ).increment()
    }
}
