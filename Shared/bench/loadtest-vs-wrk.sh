#!/usr/bin/env bash
# Is the load tool the bottleneck? Runs `loadtest` and `wrk` against the same endpoint, interleaved (runs on
# this machine vary ±20%, so only interleaved runs compare), and prints throughput and CPU time per request
# of each tool, then loadtest's ratios to wrk over all rounds. Goal: throughput within ±10% of wrk's, CPU per
# request at most 1.5× wrk's.
#
# Usage: Shared/bench/loadtest-vs-wrk.sh [URL] [ROUNDS] [SECONDS]
#   URL defaults to http://127.0.0.1:8080/health (start a server first, e.g. ./lab start 01 --fixed).
#   SINGLE_SOURCE=1 adds a row per round for `loadtest --single-source-address` (every user from 127.0.0.1),
#   to see what binding each user to its own loopback address costs.
#   COMPARE_WITH=/path/to/an/older/loadtest adds a row per round for that binary ("older"), for before/after
#   tables of a change to the tool.
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
out="$(mktemp)"
rows="$(mktemp)"
trap 'rm -f "$out" "$rows"' EXIT

# Runs "$@" in a fresh shell and prints the CPU seconds (user + system) the tool used.
measure() {
  bash -c '"$@" > "'"$out"'" 2>&1; times' _ "$@" | tail -1 | awk '{
    split($1, u, "m"); split($2, s, "m"); sub("s", "", u[2]); sub("s", "", s[2]);
    printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}

# Prints one row and keeps it for the summary: round, tool, req/s, requests, CPU seconds.
row() {
  printf "%-6s %-9s %12.0f %12d %16.1f\n" "$1" "$2" "$3" "$4" "$(echo "$5 * 1000000 / $4" | bc -l)"
  echo "$1 $2 $3 $4 $5" >> "$rows"
}

loadtest_row() {  # round, label, binary, extra options
  local cpu
  cpu=$(measure "$3" "$url" --users "$users" --duration "$seconds" --threads 1 ${4:+"$4"})
  row "$1" "$2" "$(awk '/Throughput/ {print $(NF - 1)}' "$out")" "$(awk '/Requests sent/ {gsub(",", "", $3); print $3}' "$out")" "$cpu"
}

printf "%-6s %-9s %12s %12s %16s\n" round tool "req/s" "requests" "CPU µs/request"
for round in $(seq 1 "$rounds"); do
  # The same request bytes as loadtest's (it names itself in User-Agent), so the server does the same work.
  cpu=$(measure wrk -t1 -c"$users" -d"${seconds}s" --latency -H "User-Agent: lab-loadtest" "$url")
  row "$round" wrk "$(awk '/Requests\/sec/ {print $2}' "$out")" "$(awk '/requests in/ {print $1}' "$out")" "$cpu"
  if [ -n "${COMPARE_WITH:-}" ]; then loadtest_row "$round" older "$COMPARE_WITH"; fi
  loadtest_row "$round" loadtest "$loadtest"
  if [ "${SINGLE_SOURCE:-0}" = 1 ]; then loadtest_row "$round" "lt-1addr" "$loadtest" --single-source-address; fi
done

# Each round's loadtest rows against that round's wrk row, averaged over the rounds.
awk '
  $2 == "wrk" { rps[$1] = $3; cpu[$1] = $5 / $4 }
  $2 != "wrk" { n[$2]++; r[$2] += $3 / rps[$1]; c[$2] += ($5 / $4) / cpu[$1] }
  END {
    print ""
    for (tool in n) printf "%-9s throughput %5.1f%% of wrk, CPU per request %.2f× wrk (mean of %d rounds)\n",
      tool, 100 * r[tool] / n[tool], c[tool] / n[tool], n[tool]
    print "goal: throughput within ±10% of wrk (90-110%), CPU per request at most 1.5× wrk"
  }' "$rows"
