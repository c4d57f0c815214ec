// redis-bench: GET/SET throughput and latency of LabRedis, printed like `redis-benchmark --csv` so the two
// can sit in one table (Shared/bench/redis-client-vs-redis-benchmark.sh).
//
// Usage: redis-bench --port 6390 [--clients 50] [--pipeline 1] [--requests 200000] [--tests set,get]
//
// `--clients` callers share a pool of as many connections, each caller sending one command at a time
// through the pool (`redis.get(...)`), or, with `--pipeline N`, N commands at once on the connection it
// borrows (`redis.pipeline(...)`): what `redis-benchmark -c 50 -P 16` does.
import Histogram
import LabRedis
import Logging

#if canImport(Glibc)
import Glibc
#endif

struct Options {
    var host = "127.0.0.1"
    var port = 6379
    var clients = 50
    var pipeline = 1
    var requests = 200_000
    var tests = ["set", "get"]

    init(arguments: [String]) {
        var rest = arguments.dropFirst()
        while let flag = rest.popFirst() {
            let value = rest.popFirst() ?? ""
            switch flag {
            case "--host": self.host = value
            case "--port": self.port = Int(value) ?? self.port
            case "--clients": self.clients = Int(value) ?? self.clients
            case "--pipeline": self.pipeline = max(1, Int(value) ?? 1)
            case "--requests": self.requests = Int(value) ?? self.requests
            case "--tests": self.tests = value.lowercased().split(separator: ",").map(String.init)
            default:
                print("unknown option \(flag)\nusage: redis-bench --port 6390 [--clients 50] [--pipeline 1] [--requests 200000] [--tests set,get]")
                exit(2)
            }
        }
    }
}

/// One caller's share of a test: its latencies in microseconds.
func runCaller(redis: RedisPool, command: RedisCommand, batches: Int, pipeline: Int) async throws -> Histogram<UInt64> {
    var histogram = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    let batch = [RedisCommand](repeating: command, count: pipeline)
    for _ in 0..<batches {
        let start = ContinuousClock.now
        if pipeline == 1 {
            _ = try await redis.send(command)
        } else {
            _ = try await redis.pipeline(batch)
        }
        let elapsed = ContinuousClock.now - start
        let micros = UInt64(max(1, elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000))
        for _ in 0..<pipeline { _ = histogram.record(min(60_000_000, micros)) }
    }
    return histogram
}

let options = Options(arguments: CommandLine.arguments)
let configuration = RedisConfiguration(host: options.host, port: options.port)
let redis = RedisPool(configuration: configuration, size: options.clients, logger: Logger(label: "redis-bench"))
let service = Task { try await redis.run() }
// Every connection open before the clock starts, as redis-benchmark connects its clients first.
try await withThrowingTaskGroup(of: Void.self) { group in
    for _ in 0..<options.clients { group.addTask { _ = try await redis.withConnection { try await $0.ping() } } }
    try await group.waitForAll()
}
_ = try await redis.set("key:__rand_int__", to: "xxx")

print("\"test\",\"rps\",\"avg_latency_ms\",\"min_latency_ms\",\"p50_latency_ms\",\"p95_latency_ms\",\"p99_latency_ms\",\"max_latency_ms\"")
for test in options.tests {
    let command: RedisCommand = test == "get" ? .get("key:__rand_int__") : .set("key:__rand_int__", to: "xxx")
    let batchesPerCaller = max(1, options.requests / options.pipeline / options.clients)
    let start = ContinuousClock.now
    let histogram = try await withThrowingTaskGroup(of: Histogram<UInt64>.self) { group in
        for _ in 0..<options.clients {
            group.addTask { try await runCaller(redis: redis, command: command, batches: batchesPerCaller, pipeline: options.pipeline) }
        }
        var all = Histogram<UInt64>(lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
        for try await part in group { all.add(part) }
        return all
    }
    let elapsed = ContinuousClock.now - start
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    let total = Double(batchesPerCaller * options.pipeline * options.clients)
    func ms(_ micros: UInt64) -> String { String(Double(micros) / 1000) }
    print(
        "\"\(test.uppercased())\",\"\(Int(total / seconds))\",\"\(String(histogram.mean / 1000))\",\"\(ms(histogram.min))\","
            + "\"\(ms(histogram.valueAtPercentile(50)))\",\"\(ms(histogram.valueAtPercentile(95)))\",\"\(ms(histogram.valueAtPercentile(99)))\","
            + "\"\(ms(histogram.max))\""
    )
}
service.cancel()
_ = await service.result
