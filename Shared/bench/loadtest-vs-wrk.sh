#!/usr/bin/env bash
# Is the load tool the bottleneck? Runs `loadtest` and `wrk` against the same endpoint, interleaved (runs on
# this machine vary ±20%, so only interleaved runs compare), and prints throughput and CPU time per request
# of each tool. Goal: throughput within ±15% of wrk, CPU per request at most 2× wrk's.
#
# Usage: Shared/bench/loadtest-vs-wrk.sh [URL] [ROUNDS] [SECONDS]
#   URL defaults to http://127.0.0.1:8080/health (start a server first, e.g. ./lab start 01 --fixed).
# Needs wrk (sudo apt-get install -y wrk).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
url="${1:-http://127.0.0.1:8080/health}"
rounds="${2:-3}"
seconds="${3:-10}"
users=100

command -v wrk >/dev/null || { echo "wrk is not installed: sudo apt-get install -y wrk" >&2; exit 2; }
swift build -c release --package-path "$root/Shared" --scratch-path "$root/.build-lab" --product loadtest >/dev/null 2>&1
loadtest="$root/.build-lab/release/loadtest"
curl -sf "$url" >/dev/null || { echo "nothing answers at $url - start a server first (./lab start 01 --fixed)" >&2; exit 2; }

# Runs "$@" in a fresh shell and prints "<cpu seconds of the tool> <its output>".
measure() {
  bash -c '"$@" > /tmp/bench.out 2>&1; times' _ "$@" | tail -1 | awk '{
    split($1, u, "m"); split($2, s, "m"); sub("s", "", u[2]); sub("s", "", s[2]);
    printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}

printf "%-6s %-9s %12s %12s %16s\n" round tool "req/s" "requests" "CPU µs/request"
for round in $(seq 1 "$rounds"); do
  cpu=$(measure wrk -t1 -c"$users" -d"${seconds}s" --latency "$url")
  rps=$(awk '/Requests\/sec/ {print $2}' /tmp/bench.out)
  total=$(awk '/requests in/ {print $1}' /tmp/bench.out)
  printf "%-6s %-9s %12.0f %12d %16.1f\n" "$round" wrk "$rps" "$total" "$(echo "$cpu * 1000000 / $total" | bc -l)"

  cpu=$(measure "$loadtest" "$url" --users "$users" --duration "$seconds" --threads 1)
  rps=$(awk '/Throughput/ {print $2}' /tmp/bench.out)
  total=$(awk '/Requests sent/ {gsub(",", "", $3); print $3}' /tmp/bench.out)
  printf "%-6s %-9s %12.0f %12d %16.1f\n" "$round" loadtest "$rps" "$total" "$(echo "$cpu * 1000000 / $total" | bc -l)"
done
