#!/usr/bin/env bash
# Do the scenarios' targets leave a wide margin on a busy machine? A learner's Codespace runs Grafana and
# Prometheus beside the lab, and a correct fix must pass there reliably. For each scenario this starts the
# reference (server-fixed; for 02 with fix.sql applied), starts a CPU hog (`yes`, one core's worth of work at
# normal priority), runs `./lab check NN`, and prints the targets with their measured numbers next to the
# check's verdict and its note on how busy the machine was. Goal: every reference passes, with its p99s and
# throughput at least 1.5x inside their targets (the checkout of 03 has a 300 ms floor: its charge).
# A scenario whose fix is also a configuration file (lab.json's fixedConfigs: 05's redis.conf, 06's haproxy.cfg)
# runs with the reference file copied over the learner's for the check; the learner's is put back afterwards,
# also when the script is interrupted.
#
# Usage: Shared/bench/targets-under-background-load.sh [SCENARIO...]   (default: 01 02 03 04 05 06)
#   HOG=0 runs the same checks without the hog, for comparison.
# Leaves each scenario stopped; scenario 02 keeps fix.sql's indexes (./lab reset 02 --database-only removes them).
# A passing check of the reference is kept as its numbers in .lab/progress.json, as any such check is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
scenarios=("$@")
[ ${#scenarios[@]} -gt 0 ] || scenarios=(01 02 03 04 05 06)
hog_pid=""
learner_config=""
restore() {
  if [ -n "$hog_pid" ]; then kill "$hog_pid" 2>/dev/null || true; hog_pid=""; fi
  if [ -n "$learner_config" ]; then mv -f "$learner_config.bench-saved" "$learner_config"; learner_config=""; fi
}
trap restore EXIT

# The learner's file and the reference's, from lab.json's fixedConfigs ("redis.conf redis.fixed.conf"), if any.
fixed_config() {
  python3 -c 'import json,sys; c=json.load(open(sys.argv[1])).get("fixedConfigs") or {}; [print(k, v) for k, v in c.items()]' "$1/lab.json"
}

for n in "${scenarios[@]}"; do
  ./lab stop "$n" >/dev/null 2>&1 || true
  folder=$(ls -d scenario-"$n"-*/ | head -1)
  folder=${folder%/}
  read -r config reference < <(fixed_config "$folder") || true
  if [ -n "${config:-}" ]; then
    learner_config="$folder/$config"
    cp "$learner_config" "$learner_config.bench-saved"
    cp "$folder/$reference" "$learner_config"
  fi
  ./lab start "$n" --fixed >/dev/null
  if [ "$n" = 02 ]; then ./lab psql 02 -f scenario-02-indexes/fix.sql >/dev/null; fi
  if [ "${HOG:-1}" = 1 ]; then
    (exec yes >/dev/null) &
    hog_pid=$!
  fi
  echo "=== scenario $n, server-fixed, background hog: ${HOG:-1}"
  ./lab check "$n" 2>&1 | sed -n '/^Targets/,$p' | grep -E "✓|✗|⚠|PASS|NOT YET" || true
  ./lab stop "$n" >/dev/null 2>&1 || true
  restore
done
