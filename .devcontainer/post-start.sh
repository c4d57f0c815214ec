#!/usr/bin/env bash
# Runs in the app container every time a scenario's Codespace starts (devcontainer.json postStartCommand):
# waits for the database container, seeds it (only what is missing), and starts the naive server in watch
# mode in the background (rebuilt and restarted on every save). Safe to run again: a running server is kept.
#
# Tested natively by `./lab test` (stage "devcontainer post-start"), twice in a row.
#   usage: .devcontainer/post-start.sh scenario-01-single-server
set -euo pipefail
scenario="${1:?usage: .devcontainer/post-start.sh <scenario folder>}"
cd "$(dirname "$0")/.."

./lab up "$scenario" --detach

cat <<TEXT

Ready. Open the PORTS tab for:
  8090  the exercise panel: the guide, Run check, hints and live graphs (it opens beside the editor)
  8080  the scenario server (try /health and /metrics)
  3000  Grafana: the live dashboard (no login needed; admin / admin to edit)
  9090  Prometheus
Next: read $scenario/SCENARIO.md, then run ./lab load in a terminal and watch the dashboard.
TEXT
