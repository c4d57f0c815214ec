// LabRedis: the Redis client of the labs.
//
// The package set the labs build from has no Redis client (neither RediStack nor valkey-swift), and the
// scenarios on caching, queues with Streams, pub/sub and rate limiting need one that behaves like a
// well-kept library under load: a learner must never chase a bug in the client instead of their own. So it
// is written here, on SwiftNIO:
//
// - Protocol/: RESP2 and RESP3 values, the incremental parser, the decoder and encoder.
// - Connection/: one pipelined connection (deadlines, cancellation, errors), its configuration and errors,
//   `RedisUnavailableError` and the middleware that makes it a 503.
// - Pool/: `RedisPool`, the fixed-size pool that runs as a service, and the metrics.
// - Commands/: `RedisCommands` (the typed commands on pool and connection alike), transactions, scripts.
// - PubSub/: subscriptions as an `AsyncSequence` on a connection of their own.
// - Cache/: `RedisCache` and `CacheMetrics` (hits and misses per cache).
