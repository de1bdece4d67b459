#!/usr/bin/env bash
# schemathesis against a running `caretaker serve`: every operation of
# /api/v1/openapi.json, with a committee token and with a resident token; fails on a
# 5xx or a response that breaks the schema. CI runs it (.ci/run).
#
#   bash tests/schemathesis.sh                      # builds caretaker if needed
#   SCHEMATHESIS_BIN=PATH SCHEMATHESIS_EXAMPLES=50 bash tests/schemathesis.sh
#
# The virtual environment is $SCHEMATHESIS_VENV (default
# ~/.cache/caretaker-schemathesis-venv), with schemathesis at the version pinned below.
set -euo pipefail
cd "$(dirname "$0")/.."

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/caretaker-target}"
VENV="${SCHEMATHESIS_VENV:-$HOME/.cache/caretaker-schemathesis-venv}"
VERSION="4.32.5"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-50}"

if ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$VERSION"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION"
fi
BIN="${SCHEMATHESIS_BIN:-$CARGO_TARGET_DIR/debug/caretaker}"
if [ ! -x "$BIN" ]; then
  cargo build --quiet --bin caretaker
fi

WORK="$(mktemp -d)"
SERVE_PID=""
cleanup() {
  if [ -n "$SERVE_PID" ]; then kill "$SERVE_PID" 2>/dev/null || true; wait "$SERVE_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
DATA="$WORK/data"
ct() { env NO_COLOR=1 RUST_LOG=warn "$BIN" --data "$DATA" "$@"; }

# A small co-op with history, a model and open orders, so that every endpoint has
# something to answer with.
ct simulate history --seed 7 --years 1 --out "$WORK/sim" >/dev/null
ct import readings "$WORK/sim/readings.parquet" >/dev/null
ct import events "$WORK/sim/events.parquet" >/dev/null
ct train >/dev/null 2>&1
committee="$(ct token add --role committee --label schemathesis | sed -n 2p)"
resident="$(ct token add --role resident --unit A-101 --label schemathesis | sed -n 2p)"

port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
mqtt="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
# Limits high enough that schemathesis's own pace is not what it measures.
CARETAKER_MQTT__EMBEDDED_LISTEN="127.0.0.1:$mqtt" \
  CARETAKER_API__REPORTS_PER_HOUR=100000 CARETAKER_API__AUTH_FAILURES_PER_MINUTE=100000 \
  NO_COLOR=1 RUST_LOG=warn "$BIN" --data "$DATA" serve --listen "127.0.0.1:$port" \
  >"$WORK/serve.log" 2>&1 &
SERVE_PID=$!
for _ in $(seq 1 300); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null && break
  sleep 0.2
done

status=0
export NO_COLOR=1
# schemathesis keeps a cache in its working directory: the temporary one, not the repository.
cd "$WORK"
for who in committee resident; do
  token="${!who}"
  echo "schemathesis: as the $who, $EXAMPLES examples an operation"
  "$VENV/bin/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
    --max-examples "$EXAMPLES" --workers 1 --phases examples,coverage,fuzzing \
    --seed 7 || status=1
done
if [ "$status" -ne 0 ]; then
  echo "schemathesis found problems (above); the server's log:" >&2
  tail -n 50 "$WORK/serve.log" >&2
fi
exit "$status"
