#!/usr/bin/env bash
# Is the Swift server the bottleneck? Scenario 01's `server-fixed` (pool of 10, the email index) under wrk with
# random existing emails, interleaved with (a) pgbench running the same lookup with 20 clients straight against
# PostgreSQL, and (b) the same lookup in Express + node-postgres (express-user-lookup.js: same pool size, query and
# JSON) when Node.js, express and pg are there. Runs on this machine vary ±20%, so only interleaved rounds compare.
#
# For each run it prints req/s, p50/p99, and the CPU time per request of each process: the server, PostgreSQL
# (the postmaster, its backends and the backends that ended during the run, from /proc) and the load generator.
# Goals (issue 21): server CPU per request ≤ PostgreSQL's; ≥ 2× Express's throughput and ≥ 10× better p99;
# ≥ 45% of pgbench's tps.
#
# Usage: Shared/bench/server-vs-pgbench-and-express.sh [ROUNDS] [SECONDS]
#   Starts `./lab start 01 --fixed` if nothing answers on port 8080 (stop it afterwards with ./lab stop 01).
#   pgbench sends the lookup exactly as the server does: prepared once per connection, planned with its values
#   on every run (plan_cache_mode=force_custom_plan, see NamedStatement.swift). PGBENCH_GENERIC_PLANS=1 lets
#   PostgreSQL switch to a generic plan instead, as pgbench does by default (more tps, not what the server asks).
#   COMPARE_WITH=/path/to/an/older/server-fixed adds a row per round for that binary (on port 8092), for
#   before/after tables of a change to the shared server code.
#   Express is skipped, with a message, unless `node` can require express and pg: Debian's node-express and
#   node-pg, or their files extracted elsewhere and named by NODE_PATH (a Node.js from another source
#   conflicts with Debian's packages: `apt-get download` them and `dpkg -x` each into one folder).
# Needs wrk and pgbench (sudo apt-get install -y wrk postgresql-client).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
rounds="${1:-3}"
seconds="${2:-10}"
connections=100   # wrk's, like the lab's standard load of 100 users
port=8080
express_port=8091
database_url="postgres://lab:lab@127.0.0.1:54329/scenario_01"
export PGPASSWORD=lab

for tool in wrk pgbench curl ss; do
  command -v "$tool" >/dev/null || { echo "$tool is not installed (sudo apt-get install -y wrk postgresql-client curl iproute2)" >&2; exit 2; }
done

work="$(mktemp -d)"
express_pid=""
older_pid=""
older_port=8092
cleanup() {
  [ -n "$express_pid" ] && kill "$express_pid" 2>/dev/null
  [ -n "$older_pid" ] && kill "$older_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

psql_() { psql -X -q -t -A -h 127.0.0.1 -p 54329 -U lab scenario_01 "$@"; }

# The process listening on a port (the server, node, or PostgreSQL's postmaster).
listener_pid() { ss -ltnpH "sport = :$1" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2; }

if ! curl -sf "http://127.0.0.1:$port/health" >/dev/null; then
  echo "▶ nothing answers on port $port: starting scenario 01's server-fixed (./lab start 01 --fixed)"
  "$root/lab" start 01 --fixed >/dev/null
fi
server_pid="$(listener_pid $port)"
[ "$(cat "/proc/$server_pid/comm")" = "server-fixed" ] || {
  echo "port $port is answered by $(cat "/proc/$server_pid/comm"), not scenario 01's server-fixed: ./lab stop, then ./lab start 01 --fixed" >&2; exit 2; }
postgres_pid="$(listener_pid 54329)"
[ "$(psql_ -c "SELECT count(*) FROM pg_indexes WHERE tablename = 'users' AND indexdef LIKE '%(email)%'")" -ge 1 ] || {
  echo "users.email has no index, so this would measure a sequential scan: ./lab psql 01 -f scenario-01-single-server/fix.sql" >&2; exit 2; }

# Real emails, in random order, for wrk to pick from (the lab's own load test does the same).
psql_ -c "SELECT email FROM users ORDER BY md5(id::text) LIMIT 20000" > "$work/emails.txt"
cat > "$work/emails.lua" <<'LUA'
local emails = {}
for line in io.lines(os.getenv("EMAILS")) do emails[#emails + 1] = line end
math.randomseed(os.time())
request = function()
  return wrk.format(nil, "/users/by-email?email=" .. emails[math.random(#emails)])
end
LUA
# pgbench: the server's query on a random user, the email built from the id with the seed's own formula
# (seed/batch.sql), so no extra query picks it.
cat > "$work/lookup.sql" <<'SQL'
\set id random(1, 1000000)
SELECT id, email, full_name, city, signed_up_at FROM users
WHERE email = lower((ARRAY['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Donald', 'Margaret', 'Linus', 'Radia', 'Ken',
                           'Frances', 'Dennis', 'Katherine', 'Tim', 'Hedy', 'John', 'Sophie', 'Guido', 'Anita', 'Bjarne',
                           'Joan', 'Yukihiro', 'Shafi', 'Leslie'])[1 + (:id * 31 % 24)])
              || '.' ||
              lower((ARRAY['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Knuth', 'Hamilton', 'Torvalds', 'Perlman',
                           'Thompson', 'Allen', 'Ritchie', 'Johnson', 'Berners-Lee', 'Lamarr', 'Backus', 'Wilson', 'Rossum',
                           'Borg', 'Stroustrup', 'Clarke', 'Matsumoto', 'Goldwasser', 'Lamport'])[1 + (:id * 17 % 24)])
              || :id || '@example.com';
SQL
[ "$(psql_ -c "SELECT count(*) FROM users WHERE email = 'ada.lovelace24@example.com'")" = 1 ] \
  || echo "note: the seed's email formula changed; update lookup.sql in this script" >&2

if command -v node >/dev/null && node -e "require('express'); require('pg')" 2>/dev/null; then
  PORT=$express_port DATABASE_URL="$database_url" node "$root/Shared/bench/express-user-lookup.js" > "$work/express.log" 2>&1 &
  express_pid=$!
  for _ in $(seq 50); do curl -sf "http://127.0.0.1:$express_port/health" >/dev/null && break; sleep 0.1; done
else
  echo "Express skipped: node cannot require express and pg (Debian: sudo apt-get install -y node-express node-pg;"
  echo "another Node.js: extract those packages' files and set NODE_PATH, see this script's header)."
fi

if [ -n "${COMPARE_WITH:-}" ]; then
  HTTP_PORT=$older_port DATABASE_URL="$database_url" "$COMPARE_WITH" > "$work/older.log" 2>&1 &
  older_pid=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$older_port/health" >/dev/null && break; sleep 0.1; done
  curl -sf "http://127.0.0.1:$older_port/health" >/dev/null || { echo "$COMPARE_WITH did not start: $(tail -3 "$work/older.log")" >&2; exit 2; }
fi

# CPU ticks (user + system) of a process; with "+children", also of its children alive now and of those that
# ended and were reaped (a PostgreSQL backend's time moves to the postmaster when it exits).
ticks() {
  local pid=$1 total
  total=$(sed 's/^.*) //' "/proc/$pid/stat" | awk -v all="${2:-}" '{ t = $12 + $13; if (all != "") t += $14 + $15; print t }')
  if [ "${2:-}" = "+children" ]; then
    for child in $(cat "/proc/$pid/task/"*/children 2>/dev/null); do
      total=$((total + $(sed 's/^.*) //' "/proc/$child/stat" 2>/dev/null | awk '{ print $12 + $13 }' || echo 0)))
    done
  fi
  echo "$total"
}
hz=$(getconf CLK_TCK)
# PostgreSQL's processes now, and a wait (at most 3 s) until the backends of a finished run have exited and been
# reaped: pgbench exits before its backends do, and their CPU time only reaches the postmaster once reaped.
backends() { cat "/proc/$postgres_pid/task/"*/children | wc -w; }
settle() { for _ in $(seq 30); do [ "$(backends)" -le "$1" ] && return; sleep 0.1; done; }

# wrk's latency lines ("99%  12.34ms") in milliseconds.
wrk_ms() { awk -v p="$1" '$1 == p { v = $2; u = v; gsub(/[0-9.]/, "", u); sub(/[a-z]+$/, "", v);
  f = (u == "us") ? 0.001 : (u == "s") ? 1000 : (u == "m") ? 60000 : 1; printf "%.2f", v * f }' "$2"; }

# Prints and keeps one row: round, what, req/s, p50 ms, p99 ms, requests, then CPU seconds of server,
# PostgreSQL and load generator ("-" when there is no server).
row() {
  local per_server="-"
  [ "$7" != "-" ] && per_server=$(echo "$7 * 1000000 / $6" | bc -l | xargs printf "%.0f")
  printf "%-5s %-21s %9.0f %8.2f %8.2f %12s %10.0f %10.0f\n" "$1" "$2" "$3" "$4" "$5" "$per_server" \
    "$(echo "$8 * 1000000 / $6" | bc -l)" "$(echo "$9 * 1000000 / $6" | bc -l)"
  echo "$*" >> "$work/rows"
}

# One wrk run against a server: round, label, port, pid of the server.
wrk_run() {
  local server_before pg_before pg_after server_after
  server_before=$(ticks "$4"); pg_before=$(ticks "$postgres_pid" +children)
  EMAILS="$work/emails.txt" /usr/bin/time -f "%U %S" -o "$work/time" \
    wrk -t1 -c$connections -d"${seconds}s" --latency -s "$work/emails.lua" "http://127.0.0.1:$3" > "$work/out" 2>&1
  server_after=$(ticks "$4"); pg_after=$(ticks "$postgres_pid" +children)
  grep -q "Non-2xx" "$work/out" && echo "warning: $2 answered errors: $(grep Non-2xx "$work/out")" >&2
  row "$1" "$2" "$(awk '/Requests\/sec/ { print $2 }' "$work/out")" "$(wrk_ms 50% "$work/out")" "$(wrk_ms 99% "$work/out")" \
    "$(awk '/requests in/ { print $1 }' "$work/out")" \
    "$(echo "($server_after - $server_before) / $hz" | bc -l)" "$(echo "($pg_after - $pg_before) / $hz" | bc -l)" \
    "$(awk '{ print $1 + $2 }' "$work/time")"
}

pgbench_run() {
  local pg_before pg_after children
  rm -f "$work"/pgb.*
  children=$(backends); pg_before=$(ticks "$postgres_pid" +children)
  local plans="-c plan_cache_mode=force_custom_plan"
  [ "${PGBENCH_GENERIC_PLANS:-0}" = 1 ] && plans=""
  PGOPTIONS="$plans" /usr/bin/time -f "%U %S" -o "$work/time" pgbench -h 127.0.0.1 -p 54329 -U lab -n -M prepared -c 20 -j 1 \
    -T "$seconds" -f "$work/lookup.sql" -l --log-prefix="$work/pgb" scenario_01 > "$work/out" 2>&1
  settle "$children"; pg_after=$(ticks "$postgres_pid" +children)
  cat "$work"/pgb.* | awk '{ print $3 }' | sort -n > "$work/latencies"
  local n; n=$(wc -l < "$work/latencies")
  row "$1" "pgbench (20 clients)" "$(awk '/^tps/ { print $3; exit }' "$work/out")" \
    "$(sed -n "$((n / 2 + 1))p" "$work/latencies" | awk '{ print $1 / 1000 }')" \
    "$(sed -n "$((n * 99 / 100 + 1))p" "$work/latencies" | awk '{ print $1 / 1000 }')" \
    "$n" - "$(echo "($pg_after - $pg_before) / $hz" | bc -l)" "$(awk '{ print $1 + $2 }' "$work/time")"
}

printf "%-5s %-21s %9s %8s %8s   %s\n" round run "req/s" "p50 ms" "p99 ms" "CPU µs per request: server  PostgreSQL  load"
for round in $(seq 1 "$rounds"); do
  wrk_run "$round" "swift server-fixed" $port "$server_pid"
  [ -n "$older_pid" ] && wrk_run "$round" "older server-fixed" $older_port "$older_pid"
  pgbench_run "$round"
  [ -n "$express_pid" ] && wrk_run "$round" "express (pool 10)" $express_port "$express_pid"
done

awk '
  $2 == "swift" { n++; s_cpu += $(NF - 2) / $(NF - 3); p_cpu += $(NF - 1) / $(NF - 3); p99[$1] = $(NF - 4); swift[$1] = r }
  $2 == "pgbench" { pg[$1] = $(NF - 6) }
  $2 == "express" { ex[$1] = $(NF - 6); exp99[$1] = $(NF - 4) }
  $2 == "older" { o++; o_s += $(NF - 2) / $(NF - 3); o_p += $(NF - 1) / $(NF - 3); older[$1] = $(NF - 6) }
  END {
    for (k in swift) { of_pg += swift[k] / pg[k]; if (k in ex) { m++; vs_ex += swift[k] / ex[k]; p99x += exp99[k] / p99[k] } }
    print ""
    printf "swift server-fixed: server CPU %.0f µs per request, PostgreSQL %.0f µs (goal: server ≤ PostgreSQL)\n", 1e6 * s_cpu / n, 1e6 * p_cpu / n
    printf "swift server-fixed: %.0f%% of pgbench tps (goal ≥ 45%%)\n", 100 * of_pg / n
    if (m > 0) printf "swift server-fixed: %.2f× Express throughput (goal ≥ 2×), p99 %.1f× better (goal ≥ 10×)\n", vs_ex / m, p99x / m
    if (o > 0) {
      for (k in older) ratio += swift[k] / older[k]
      printf "older server-fixed: server CPU %.0f µs per request, PostgreSQL %.0f µs; this one does %.2f× its req/s\n", 1e6 * o_s / o, 1e6 * o_p / o, ratio / o
    }
    printf "(means over %d interleaved rounds)\n", n
  }' "$work/rows"
