#!/usr/bin/env bash
# Is LabRedis as fast as a well-kept client? Runs `redis-bench` (LabRedis through its pool) and Redis's own
# `redis-benchmark` against one private redis-server, interleaved (runs on this machine vary ±20%, so only
# interleaved runs compare), 50 concurrent clients, without and with pipelining (16 commands in flight per
# connection), and prints throughput and latency of each plus LabRedis's share of redis-benchmark's throughput.
# Goal: at least 70% of `redis-benchmark -c 50`, and at least 50% of `redis-benchmark -c 50 -P 16`.
#
# Usage: Shared/bench/redis-client-vs-redis-benchmark.sh [ROUNDS] [REQUESTS]
#   REQUESTS per test without pipelining (default 200000); pipelined tests send 5 times as many.
#   The private Redis listens on 127.0.0.1:${REDIS_BENCH_PORT:-6399}.
# Needs redis-server and redis-benchmark (sudo apt-get install -y redis-server redis-tools).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
requests="${2:-200000}"
port="${REDIS_BENCH_PORT:-6399}"
clients=50

for tool in redis-server redis-benchmark redis-cli; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed: sudo apt-get install -y redis-server redis-tools" >&2; exit 2; }
done
if redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "something already answers on port $port: set REDIS_BENCH_PORT to a free port" >&2; exit 2
fi
swift build -c release --package-path "$root/Shared" --scratch-path "$root/.build-lab" --product redis-bench >/dev/null 2>&1
bench="$root/.build-lab/release/redis-bench"

folder="$(mktemp -d)"
redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$folder" --logfile "$folder/redis.log" --daemonize no &
server=$!
trap 'kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; rm -rf "$folder"' EXIT
for _ in $(seq 1 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done

# Prints "<test> <rps> <p50 ms> <p99 ms>" per line from `--csv` output (both tools print the same columns).
parse() {
  awk -F'","' 'NR > 1 { gsub(/"/, "", $1); gsub(/"/, "", $8); print $1, $2, $5, $7 }'
}

printf "%-6s %-8s %-16s %-5s %10s %9s %9s %9s\n" round pipeline tool test "req/s" "p50 ms" "p99 ms" "share"
for round in $(seq 1 "$rounds"); do
  for pipeline in 1 16; do
    n=$((pipeline == 1 ? requests : requests * 5))
    reference=$(redis-benchmark -p "$port" -c "$clients" -P "$pipeline" -n "$n" -t set,get --csv | parse)
    ours=$("$bench" --port "$port" --clients "$clients" --pipeline "$pipeline" --requests "$n" --tests set,get | parse)
    while read -r test rps p50 p99; do
      printf "%-6s %-8s %-16s %-5s %10.0f %9s %9s %9s\n" "$round" "$pipeline" redis-benchmark "$test" "$rps" "$p50" "$p99" ""
    done <<<"$reference"
    while read -r test rps p50 p99; do
      theirs=$(awk -v t="$test" '$1 == t { print $2 }' <<<"$reference")
      share=$(awk -v a="$rps" -v b="$theirs" 'BEGIN { printf "%.0f%%", 100 * a / b }')
      printf "%-6s %-8s %-16s %-5s %10.0f %9s %9s %9s\n" "$round" "$pipeline" LabRedis "$test" "$rps" "$p50" "$p99" "$share"
    done <<<"$ours"
  done
done
